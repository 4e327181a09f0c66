//! A throttle's counter key for one request, formatted without allocating: the in-memory
//! throttles look it up by `&str`, so the hot path of a throttled request needs no heap.

/// A counter key, written on the stack: `user:` and an id, or `ip:` and an address (at most
/// 48 bytes), fit; anything longer goes to the heap.
pub struct KeyBuf {
    stack: [u8; 64],
    len: usize,
    heap: Option<String>,
}

impl Default for KeyBuf {
    fn default() -> Self {
        Self {
            stack: [0; 64],
            len: 0,
            heap: None,
        }
    }
}

impl KeyBuf {
    pub fn clear(&mut self) {
        self.len = 0;
        self.heap = None;
    }

    pub fn push(&mut self, text: std::fmt::Arguments<'_>) {
        use std::io::Write;
        let mut rest = &mut self.stack[..];
        if rest.write_fmt(text).is_ok() {
            self.len = 64 - rest.len();
        } else {
            self.heap = Some(text.to_string());
        }
    }

    pub fn as_str(&self) -> &str {
        match &self.heap {
            Some(text) => text,
            // Only `push` writes here, and only whole UTF-8 text.
            None => std::str::from_utf8(&self.stack[..self.len]).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_keys_stay_on_the_stack_and_long_ones_go_to_the_heap_intact() {
        let mut key = KeyBuf::default();
        key.push(format_args!("user:{}", i64::MAX));
        assert_eq!(key.as_str(), "user:9223372036854775807");
        assert!(key.heap.is_none());
        key.clear();
        key.push(format_args!("ip:{}", "ffff:".repeat(16)));
        assert_eq!(key.as_str(), format!("ip:{}", "ffff:".repeat(16)));
        assert!(key.heap.is_some());
        key.clear();
        key.push(format_args!("ip:{}", "192.0.2.1"));
        assert_eq!(key.as_str(), "ip:192.0.2.1");
    }
}
