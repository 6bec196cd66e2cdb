"""Summarization rows (the performance set's `pubmed_summarization` style) of the sample.

Short made-up research articles: every study, number and finding here is invented for ossperf
and describes no real work. Each article is assembled from its own facts (topic, design, sample,
result) into the usual sections, and its ground truth is a reference summary of those facts.
"""

import random

# (field, question studied, design, participants/units, n, duration, main finding, caveat)
STUDIES = [
    ("sleep medicine", "whether a fixed wake-up time improves daytime alertness in night-shift nurses",
     "a randomised crossover trial", "nurses", 64, "eight weeks",
     "alertness scores rose by 11 percent during the fixed-schedule weeks", "self-reported alertness"),
    ("nutrition", "how breakfast timing relates to mid-morning glucose in adolescents",
     "a prospective cohort study", "secondary-school students", 412, "one school year",
     "students who ate before 7:30 had lower mid-morning glucose peaks", "a single region"),
    ("cardiology", "whether a text-message reminder raises adherence to blood-pressure medication",
     "a pragmatic randomised trial", "adults with hypertension", 958, "six months",
     "adherence rose from 71 to 80 percent and systolic pressure fell by 4 mmHg", "pharmacy refill data as the adherence measure"),
    ("microbiology", "the survival of a soil bacterium on copper-alloy door handles",
     "a laboratory exposure study", "test coupons", 120, "48 hours",
     "viable counts fell below detection within two hours on the alloy but not on steel", "laboratory humidity only"),
    ("public health", "the effect of a neighbourhood walking programme on weekly activity",
     "a cluster-randomised trial", "residents of 24 neighbourhoods", 1830, "one year",
     "weekly moderate activity increased by a median of 38 minutes", "pedometer loss in 9 percent of participants"),
    ("dermatology", "whether a fragrance-free emollient reduces flares of childhood eczema",
     "a double-blind randomised trial", "children aged 2 to 10", 226, "16 weeks",
     "flare days fell by a third compared with a standard cream", "parent-kept flare diaries"),
    ("ophthalmology", "outdoor time and myopia progression in primary-school children",
     "a school-based intervention study", "pupils", 690, "two years",
     "an extra 40 minutes outdoors each day slowed progression by 0.2 dioptres per year", "non-random allocation of schools"),
    ("oncology nursing", "a structured exercise plan for fatigue during chemotherapy",
     "a randomised controlled trial", "patients receiving chemotherapy", 180, "12 weeks",
     "fatigue scores improved by 6 points on a 52-point scale", "a modest dropout rate of 14 percent"),
    ("epidemiology", "seasonal patterns of hospital admissions for asthma in a coastal city",
     "a ten-year time-series analysis", "admission records", 21450, "ten years",
     "admissions peaked two weeks after the return to school each autumn", "routinely coded records"),
    ("pharmacology", "how a common antacid changes absorption of an oral antibiotic",
     "a crossover pharmacokinetic study", "healthy volunteers", 24, "three dosing periods",
     "peak concentration fell by 45 percent when both were taken together", "a small volunteer group"),
    ("geriatrics", "whether balance classes reduce falls among people over 75",
     "a randomised trial", "community-dwelling older adults", 540, "18 months",
     "the fall rate dropped from 1.3 to 0.9 falls per person-year", "falls recorded by monthly calendars"),
    ("mental health", "an app-based breathing exercise for exam anxiety",
     "a randomised waitlist-controlled trial", "university students", 302, "five weeks",
     "anxiety scores decreased by 18 percent relative to the waitlist", "short follow-up"),
    ("infectious disease", "hand-sanitiser stations and absence due to respiratory illness in offices",
     "a stepped-wedge trial", "office workers in 16 buildings", 2210, "one winter",
     "illness-related absence fell by 12 percent after installation", "absence not confirmed by testing"),
    ("maternal health", "iron supplementation timing and anaemia in the third trimester",
     "a randomised comparison", "pregnant women", 480, "from week 16 to delivery",
     "alternate-day dosing matched daily dosing with fewer stomach complaints", "a single hospital"),
    ("orthopaedics", "early weight bearing after ankle fracture surgery",
     "a multicentre randomised trial", "adults after ankle fixation", 260, "six months",
     "function scores at six weeks were higher with no rise in complications", "unblinded assessors"),
    ("environmental health", "indoor air quality after switching school heating systems",
     "a before-and-after monitoring study", "classrooms", 86, "two heating seasons",
     "fine-particle levels fell by 27 percent", "differences in outdoor air between years"),
    ("neurology", "a daily memory game and recall in mild cognitive impairment",
     "a randomised active-controlled trial", "older adults with mild cognitive impairment", 150, "six months",
     "delayed recall improved slightly but did not reach significance", "a small effect size"),
    ("health economics", "the cost of same-day discharge after hernia repair",
     "a retrospective cost analysis", "hospital episodes", 3120, "four years",
     "same-day discharge saved an average of 640 euros per patient with similar readmission rates", "cost data from one health system"),
    ("paediatrics", "reading aloud at bedtime and vocabulary at age four",
     "a birth cohort analysis", "children", 2875, "four years",
     "daily reading was linked to a vocabulary score 7 points higher", "possible confounding by family income"),
    ("sports medicine", "eccentric training for tendon pain in recreational runners",
     "a randomised controlled trial", "runners with heel tendon pain", 98, "12 weeks",
     "pain during running fell by half compared with stretching alone", "a volunteer sample"),
    ("dentistry", "fluoride varnish every three months versus every six months",
     "a randomised trial", "children at high risk of caries", 344, "two years",
     "new cavities were 22 percent fewer with the three-month schedule", "high-risk children only"),
    ("genetics", "how often a harmless gene variant appears in three regional populations",
     "a cross-sectional sequencing study", "volunteers", 1500, "a single sampling round",
     "the variant frequency ranged from 4 to 11 percent across regions", "volunteer recruitment"),
    ("rehabilitation", "home video coaching after stroke",
     "a randomised trial", "stroke survivors discharged home", 210, "three months",
     "arm function improved more with weekly video sessions", "coaches aware of group allocation"),
    ("primary care", "a one-page checklist for antibiotic prescribing for sore throat",
     "a cluster trial in general practices", "consultations", 5400, "one year",
     "antibiotic prescriptions fell from 46 to 33 percent of visits", "no data on patient satisfaction"),
    ("endocrinology", "meal-time walking and glucose after dinner in type 2 diabetes",
     "a crossover trial", "adults with type 2 diabetes", 36, "three test days",
     "a 15-minute walk lowered the post-dinner glucose peak by 1.6 mmol/L", "short test periods"),
    ("nephrology", "reminder calls and attendance at dialysis sessions",
     "a quality-improvement study", "dialysis patients", 190, "nine months",
     "missed sessions fell by 30 percent", "no control group"),
    ("occupational health", "standing desks and back pain in call-centre staff",
     "a randomised trial", "call-centre employees", 146, "six months",
     "back-pain days fell modestly while sitting time dropped by 70 minutes a day", "a single employer"),
    ("immunology", "antibody levels after a booster given in the morning or afternoon",
     "a randomised comparison", "adults receiving a routine booster", 276, "four weeks",
     "morning vaccination gave 9 percent higher antibody levels", "a single vaccine type"),
    ("gastroenterology", "a low-fibre diet the day before colonoscopy",
     "a randomised trial", "outpatients scheduled for colonoscopy", 400, "one day of preparation",
     "bowel cleanliness was adequate in 91 percent versus 84 percent on clear liquids", "endoscopists not fully blinded"),
    ("health informatics", "an electronic alert for drug interactions in hospital wards",
     "an interrupted time-series study", "medication orders", 86000, "two years",
     "serious interaction orders fell by 40 percent with little alert fatigue", "changes in staffing over the period"),
    ("audiology", "hearing aids and social activity in adults over 65",
     "a prospective cohort study", "older adults with hearing loss", 520, "three years",
     "new hearing-aid users reported one more social outing per week", "self-reported activity"),
    ("veterinary public health", "a rabies vaccination drive for village dogs",
     "a community intervention study", "dogs in 40 villages", 6200, "two years",
     "vaccination coverage reached 74 percent and reported bites from rabid dogs fell sharply", "incomplete bite reporting"),
    ("emergency medicine", "a triage nurse at the ambulance bay and handover delays",
     "a before-and-after study", "ambulance arrivals", 14300, "one year",
     "median handover time dropped from 34 to 19 minutes", "seasonal differences in demand"),
    ("anaesthesia", "music during recovery and pain after day surgery",
     "a randomised trial", "day-surgery patients", 320, "the first recovery hour",
     "patients listening to music asked for rescue pain relief 25 percent less often", "that patients knew their allocation"),
    ("global health", "solar-powered fridges for vaccine storage in rural clinics",
     "a field evaluation", "rural clinics", 58, "18 months",
     "temperature excursions fell from weekly to under one per quarter", "clinics chosen by the funder"),
]


def _article(rng, study):
    field, topic, design, who, n, duration, finding, caveat = study
    intro = rng.choice([
        f"Questions about {topic} come up often in {field}, yet direct evidence has been thin.",
        f"In {field}, little is known about {topic}, although it matters for everyday practice.",
        f"Clinicians and planners in {field} have long asked about {topic}.",
    ])
    aims = f"We set out to examine {topic}."
    methods = (f"We carried out {design} involving {n} {who}, followed for {duration}. "
               f"Outcomes were defined before data collection began and were analysed by "
               f"investigators who followed a written plan. "
               + rng.choice([
                   "Missing data were handled by multiple imputation.",
                   "Analyses used mixed models to account for repeated measures.",
                   "We adjusted for age, sex and baseline values.",
               ]))
    participants = rng.choice([
        f"Recruitment ran for the first part of the study period, and most {who} who were "
        f"approached agreed to take part.",
        f"The {who} were broadly similar at baseline across groups in age, sex and the main "
        f"outcome measure.",
        f"Eligibility was kept broad so that the {who} would resemble those seen in routine "
        f"practice.",
    ])
    stats = rng.choice([
        "The direction of the effect was the same in a sensitivity analysis that excluded "
        "participants with incomplete follow-up.",
        "Confidence intervals were wide for the smaller secondary outcomes.",
        "The effect was consistent across the whole follow-up period.",
    ])
    results = (f"{participants} Data were available for {round(n * rng.uniform(0.86, 0.97))} of the {n} "
               f"{who}. Overall, {finding}. "
               + rng.choice([
                   "Secondary outcomes moved in the same direction.",
                   "No serious adverse events were linked to the intervention.",
                   "Results were similar in the pre-specified subgroups.",
               ])
               + f" {stats}")
    discussion = (f"The main limitation is {caveat}. "
                  f"Even so, the findings suggest practical steps for {field} and point to "
                  f"questions that larger studies should address.")
    text = (f"Background\n\n{intro} {aims}\n\nMethods\n\n{methods}\n\nResults\n\n{results}\n\n"
            f"Discussion\n\n{discussion}\n\nConclusions\n\n"
            f"For {who} like those studied, {finding}. Confirmation in other settings is needed.")
    design_noun = design.split(" ", 1)[1] if design.startswith(("a ", "an ")) else design
    summary = (f"This {design_noun} of {n} {who} over {duration} examined {topic}. {finding[0].upper()}"
               f"{finding[1:]}. The main limitation is {caveat}.")
    return text, summary


def summary_rows():
    rng = random.Random(2025)
    rows = []
    for study in STUDIES:
        text, summary = _article(rng, study)
        rows.append({"dataset": "pubmed_summarization", "question": text, "ground_truth": summary})
    return rows
