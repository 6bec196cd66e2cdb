//! A pickle virtual machine that never runs code. Globals become opaque names, `REDUCE` and
//! `NEWOBJ` become [`Obj::Call`] nodes and `BUILD` records their state, so a hostile pickle can
//! at worst be rejected. Strings and byte buffers borrow from the input (no copies of the
//! megabytes of numpy data); containers live in an arena addressed by index, which is what
//! lets the memo and in-place `APPENDS`/`SETITEMS` share objects the way Python does.

use std::collections::HashMap;

use super::PickleError;

/// A value on the stack: small scalars inline, everything else an index into the heap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Val {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Obj(u32),
}

/// A heap object.
#[derive(Debug)]
pub(crate) enum Obj<'a> {
    Str(&'a str),
    Bytes(&'a [u8]),
    List(Vec<Val>),
    Tuple(Vec<Val>),
    Dict(Vec<(Val, Val)>),
    Set(Vec<Val>),
    Global(&'a str, &'a str),
    /// `func(*args)` (REDUCE) or `cls.__new__(cls, *args)` (NEWOBJ), with the BUILD state.
    Call {
        func: Val,
        args: Val,
        state: Option<Val>,
    },
}

/// The decoded pickle: the heap and the root value.
pub(crate) struct Heap<'a> {
    objs: Vec<Obj<'a>>,
}

impl<'a> Heap<'a> {
    pub(super) fn get(&self, v: Val) -> Option<&Obj<'a>> {
        match v {
            Val::Obj(i) => self.objs.get(i as usize),
            _ => None,
        }
    }

    pub(super) fn str(&self, v: Val) -> Option<&'a str> {
        match self.get(v) {
            Some(Obj::Str(s)) => Some(s),
            _ => None,
        }
    }

    /// The bytes of a `bytes` object, or of a `bytearray` (protocol 5 has an opcode for it;
    /// protocol 4 pickles it as `builtins.bytearray(bytes)`).
    pub(super) fn bytes(&self, v: Val) -> Option<&'a [u8]> {
        match self.get(v)? {
            Obj::Bytes(b) => Some(b),
            Obj::Call { .. } => {
                let (name, args, _) = self.call(v)?;
                if name != "builtins.bytearray" {
                    return None;
                }
                match self.seq(args)? {
                    [] => Some(&[]),
                    [inner, ..] => self.bytes(*inner),
                }
            }
            _ => None,
        }
    }

    /// The items of a list or tuple.
    pub(super) fn seq(&self, v: Val) -> Option<&[Val]> {
        match self.get(v) {
            Some(Obj::List(items) | Obj::Tuple(items)) => Some(items),
            _ => None,
        }
    }

    /// The value of a string key of a dict.
    pub(super) fn dict_get(&self, dict: Val, key: &str) -> Option<Val> {
        match self.get(dict) {
            Some(Obj::Dict(pairs)) => pairs
                .iter()
                .find(|(k, _)| self.str(*k) == Some(key))
                .map(|(_, v)| *v),
            _ => None,
        }
    }

    /// `module.name` of a global.
    pub(super) fn global_name(&self, v: Val) -> Option<String> {
        match self.get(v) {
            Some(Obj::Global(module, name)) => Some(format!("{module}.{name}")),
            _ => None,
        }
    }

    /// A call node's function name, arguments and state.
    pub(super) fn call(&self, v: Val) -> Option<(String, Val, Option<Val>)> {
        match self.get(v) {
            Some(Obj::Call { func, args, state }) => {
                Some((self.global_name(*func)?, *args, *state))
            }
            _ => None,
        }
    }

    /// A short description for messages: `a list`, `pandas.core.series.Series`, ….
    pub(super) fn describe(&self, v: Val) -> String {
        match v {
            Val::None => "None".to_owned(),
            Val::Bool(b) => format!("the boolean `{b}`"),
            Val::Int(n) => format!("the integer `{n}`"),
            Val::Float(f) => format!("the number `{f}`"),
            Val::Obj(_) => match self.get(v) {
                Some(Obj::Str(s)) => {
                    format!("the string `{}`", s.chars().take(40).collect::<String>())
                }
                Some(Obj::Bytes(_)) => "bytes".to_owned(),
                Some(Obj::List(_)) => "a list".to_owned(),
                Some(Obj::Tuple(_)) => "a tuple".to_owned(),
                Some(Obj::Dict(_)) => "a dict".to_owned(),
                Some(Obj::Set(_)) => "a set".to_owned(),
                Some(Obj::Global(m, n)) => format!("the name `{m}.{n}`"),
                Some(Obj::Call { func, .. }) => match self.global_name(*func) {
                    Some(name) => format!("a `{name}` object"),
                    None => "an object".to_owned(),
                },
                None => "nothing".to_owned(),
            },
        }
    }
}

struct Machine<'a> {
    data: &'a [u8],
    pos: usize,
    heap: Vec<Obj<'a>>,
    stack: Vec<Val>,
    marks: Vec<usize>,
    memo: HashMap<u32, Val>,
}

/// Decodes a pickle into its heap and root value.
pub(crate) fn load(data: &[u8]) -> Result<(Heap<'_>, Val), PickleError> {
    let mut m = Machine {
        data,
        pos: 0,
        heap: Vec::with_capacity(1024),
        stack: Vec::with_capacity(1024),
        marks: Vec::new(),
        memo: HashMap::new(),
    };
    loop {
        let offset = m.pos;
        let op = m.byte()?;
        if op == b'.' {
            let root = m.pop(offset)?;
            return Ok((Heap { objs: m.heap }, root));
        }
        m.step(op, offset)?;
    }
}

impl<'a> Machine<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], PickleError> {
        let data = self.data;
        let end = self.pos.checked_add(n).filter(|&e| e <= data.len());
        let end = end.ok_or(PickleError::Truncated {
            offset: self.pos,
            needed: n,
        })?;
        let s = &data[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], PickleError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn byte(&mut self) -> Result<u8, PickleError> {
        Ok(self.array::<1>()?[0])
    }

    fn u32(&mut self) -> Result<usize, PickleError> {
        Ok(u32::from_le_bytes(self.array()?) as usize)
    }

    fn u64(&mut self, offset: usize) -> Result<usize, PickleError> {
        usize::try_from(u64::from_le_bytes(self.array()?)).map_err(|_| malformed(offset, "length"))
    }

    fn str(&mut self, n: usize, offset: usize) -> Result<&'a str, PickleError> {
        std::str::from_utf8(self.take(n)?).map_err(|_| malformed(offset, "string is not UTF-8"))
    }

    fn line(&mut self, offset: usize) -> Result<&'a str, PickleError> {
        let rest = &self.data[self.pos..];
        let n = rest
            .iter()
            .position(|&c| c == b'\n')
            .ok_or(PickleError::Truncated {
                offset: self.pos,
                needed: 1,
            })?;
        let s = self.str(n, offset)?;
        self.pos += 1;
        Ok(s)
    }

    fn pop(&mut self, offset: usize) -> Result<Val, PickleError> {
        self.stack.pop().ok_or(malformed(offset, "stack underflow"))
    }

    fn top(&self, offset: usize) -> Result<Val, PickleError> {
        self.stack
            .last()
            .copied()
            .ok_or(malformed(offset, "stack underflow"))
    }

    fn pop_mark(&mut self, offset: usize) -> Result<Vec<Val>, PickleError> {
        let mark = self.marks.pop().ok_or(malformed(offset, "no MARK"))?;
        if mark > self.stack.len() {
            return Err(malformed(offset, "MARK above the stack"));
        }
        Ok(self.stack.split_off(mark))
    }

    fn heap_str(&self, v: Val) -> Option<&'a str> {
        match v {
            Val::Obj(i) => match self.heap.get(i as usize) {
                Some(Obj::Str(s)) => Some(*s),
                _ => None,
            },
            _ => None,
        }
    }

    fn push_obj(&mut self, obj: Obj<'a>) {
        self.heap.push(obj);
        self.stack.push(Val::Obj((self.heap.len() - 1) as u32));
    }

    /// The heap object at the top of the stack, for in-place changes.
    fn top_obj(&mut self, offset: usize) -> Result<&mut Obj<'a>, PickleError> {
        match self.top(offset)? {
            Val::Obj(i) => self
                .heap
                .get_mut(i as usize)
                .ok_or(malformed(offset, "dangling reference")),
            _ => Err(malformed(offset, "expected an object on the stack")),
        }
    }

    fn memo_get(&mut self, key: u32, offset: usize) -> Result<(), PickleError> {
        let v = *self
            .memo
            .get(&key)
            .ok_or(malformed(offset, "memo key not set"))?;
        self.stack.push(v);
        Ok(())
    }

    fn step(&mut self, op: u8, offset: usize) -> Result<(), PickleError> {
        match op {
            0x80 => drop(self.byte()?),                 // PROTO
            0x95 => drop(self.u64(offset)?),            // FRAME
            b'(' => self.marks.push(self.stack.len()),  // MARK
            b'0' => drop(self.pop(offset)?),            // POP
            b'1' => drop(self.pop_mark(offset)?),       // POP_MARK
            b'2' => self.stack.push(self.top(offset)?), // DUP
            b'N' => self.stack.push(Val::None),
            0x88 => self.stack.push(Val::Bool(true)),
            0x89 => self.stack.push(Val::Bool(false)),
            b'J' => {
                let v = i32::from_le_bytes(self.array()?);
                self.stack.push(Val::Int(i64::from(v)));
            }
            b'K' => {
                let v = self.byte()?;
                self.stack.push(Val::Int(i64::from(v)));
            }
            b'M' => {
                let v = u16::from_le_bytes(self.array()?);
                self.stack.push(Val::Int(i64::from(v)));
            }
            0x8a | 0x8b => {
                let n = if op == 0x8a {
                    usize::from(self.byte()?)
                } else {
                    self.u32()?
                };
                let v =
                    long(self.take(n)?).ok_or(malformed(offset, "integer wider than 64 bits"))?;
                self.stack.push(Val::Int(v));
            }
            b'G' => {
                let v = f64::from_be_bytes(self.array()?);
                self.stack.push(Val::Float(v));
            }
            0x8c | b'X' | 0x8d => {
                let n = match op {
                    0x8c => usize::from(self.byte()?),
                    b'X' => self.u32()?,
                    _ => self.u64(offset)?,
                };
                let s = self.str(n, offset)?;
                self.push_obj(Obj::Str(s));
            }
            b'C' | b'B' | 0x8e | 0x96 => {
                let n = match op {
                    b'C' => usize::from(self.byte()?),
                    b'B' => self.u32()?,
                    _ => self.u64(offset)?,
                };
                let b = self.take(n)?;
                self.push_obj(Obj::Bytes(b));
            }
            _ => return self.step_containers(op, offset),
        }
        Ok(())
    }

    fn step_containers(&mut self, op: u8, offset: usize) -> Result<(), PickleError> {
        match op {
            b']' => self.push_obj(Obj::List(Vec::new())),
            b')' => self.push_obj(Obj::Tuple(Vec::new())),
            b'}' => self.push_obj(Obj::Dict(Vec::new())),
            0x8f => self.push_obj(Obj::Set(Vec::new())),
            b'l' => {
                let items = self.pop_mark(offset)?;
                self.push_obj(Obj::List(items));
            }
            b't' | 0x91 => {
                let items = self.pop_mark(offset)?;
                self.push_obj(if op == b't' {
                    Obj::Tuple(items)
                } else {
                    Obj::Set(items)
                });
            }
            0x85..=0x87 => {
                let n = usize::from(op - 0x84);
                if self.stack.len() < n {
                    return Err(malformed(offset, "stack underflow"));
                }
                let items = self.stack.split_off(self.stack.len() - n);
                self.push_obj(Obj::Tuple(items));
            }
            b'a' | b'e' | 0x90 => {
                let items = if op == b'a' {
                    vec![self.pop(offset)?]
                } else {
                    self.pop_mark(offset)?
                };
                match self.top_obj(offset)? {
                    Obj::List(list) | Obj::Set(list) => list.extend(items),
                    _ => return Err(malformed(offset, "APPEND to something not a list")),
                }
            }
            b's' | b'u' => {
                let items = if op == b's' {
                    let v = self.pop(offset)?;
                    vec![self.pop(offset)?, v]
                } else {
                    self.pop_mark(offset)?
                };
                if items.len() % 2 != 0 {
                    return Err(malformed(offset, "SETITEMS with an odd number of items"));
                }
                match self.top_obj(offset)? {
                    Obj::Dict(pairs) => pairs.extend(items.chunks_exact(2).map(|c| (c[0], c[1]))),
                    _ => return Err(malformed(offset, "SETITEM on something not a dict")),
                }
            }
            _ => return self.step_objects(op, offset),
        }
        Ok(())
    }

    fn step_objects(&mut self, op: u8, offset: usize) -> Result<(), PickleError> {
        match op {
            0x94 => {
                let key = self.memo.len() as u32;
                self.memo.insert(key, self.top(offset)?);
            }
            b'q' | b'r' => {
                let key = if op == b'q' {
                    usize::from(self.byte()?)
                } else {
                    self.u32()?
                };
                self.memo.insert(key as u32, self.top(offset)?);
            }
            b'h' | b'j' => {
                let key = if op == b'h' {
                    usize::from(self.byte()?)
                } else {
                    self.u32()?
                };
                self.memo_get(key as u32, offset)?;
            }
            b'c' => {
                let module = self.line(offset)?;
                let name = self.line(offset)?;
                self.push_obj(Obj::Global(module, name));
            }
            0x93 => {
                let name = self.pop(offset)?;
                let module = self.pop(offset)?;
                match (self.heap_str(module), self.heap_str(name)) {
                    (Some(m), Some(n)) => self.push_obj(Obj::Global(m, n)),
                    _ => return Err(malformed(offset, "STACK_GLOBAL without two strings")),
                }
            }
            b'R' | 0x81 => {
                let args = self.pop(offset)?;
                let func = self.pop(offset)?;
                self.push_obj(Obj::Call {
                    func,
                    args,
                    state: None,
                });
            }
            b'b' => {
                let value = self.pop(offset)?;
                match self.top_obj(offset)? {
                    Obj::Call { state, .. } => *state = Some(value),
                    _ => return Err(malformed(offset, "BUILD on something not an object")),
                }
            }
            other => {
                return Err(PickleError::Opcode {
                    opcode: other,
                    offset,
                })
            }
        }
        Ok(())
    }
}

fn malformed(offset: usize, what: &'static str) -> PickleError {
    PickleError::Malformed { offset, what }
}

/// A little-endian two's-complement integer of at most 8 bytes.
fn long(bytes: &[u8]) -> Option<i64> {
    if bytes.len() > 8 {
        return None;
    }
    let negative = bytes.last().is_some_and(|b| b & 0x80 != 0);
    let mut buf = if negative { [0xff; 8] } else { [0; 8] };
    buf[..bytes.len()].copy_from_slice(bytes);
    Some(i64::from_le_bytes(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_protocol_4_list_of_ints_decodes_with_memo_and_appends() {
        // pickle.dumps([1, 300, -2, 70000], protocol=4)
        let data = b"\x80\x04\x95\x14\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01M,\x01J\xfe\xff\xff\xffJp\x11\x01\x00e.";
        let (heap, root) = load(data).unwrap();
        assert_eq!(
            heap.seq(root).unwrap(),
            &[Val::Int(1), Val::Int(300), Val::Int(-2), Val::Int(70000)]
        );
    }

    #[test]
    fn long1_sign_extends() {
        assert_eq!(long(&[0xff]), Some(-1));
        assert_eq!(long(&[0x00, 0x80]), Some(-32768));
        assert_eq!(long(&[0x01, 0x02, 0, 0, 0, 0, 0, 0, 0]), None);
    }

    #[test]
    fn a_pickle_cut_short_reports_where() {
        let data = b"\x80\x04\x95\x14\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01M,";
        match load(data) {
            Err(PickleError::Truncated { offset, needed }) => assert_eq!((offset, needed), (17, 2)),
            other => panic!("unexpected {:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn an_unknown_opcode_is_rejected_not_skipped() {
        match load(b"\x80\x04\xff.") {
            Err(PickleError::Opcode { opcode, offset }) => assert_eq!((opcode, offset), (0xff, 2)),
            other => panic!("unexpected {:?}", other.map(|_| ())),
        }
    }
}
