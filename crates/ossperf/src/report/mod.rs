//! Results people can look at: `results.json` and the HTML report. (Being built.)
