//! Is a sed script free of side effects? `sed -n p` only reads, but sed scripts can write files
//! (`w`, `W`, `s///w`), read others (`r`, `R`) and run commands (`e`, `s///e`). This accepts
//! only scripts made of commands known to do none of that; anything it does not understand is
//! unsafe.

/// True when the script only transforms its input to standard output.
pub fn is_safe_script(script: &str) -> bool {
    let s: Vec<char> = script.chars().collect();
    let mut i = 0;
    let mut depth = 0i32;
    loop {
        // Separators and blanks between commands.
        while i < s.len() && matches!(s[i], ' ' | '\t' | '\n' | ';') {
            i += 1;
        }
        if i >= s.len() {
            return depth == 0;
        }
        if s[i] == '#' {
            while i < s.len() && s[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if s[i] == '}' {
            depth -= 1;
            if depth < 0 {
                return false;
            }
            i += 1;
            continue;
        }
        let Some(next) = address(&s, i) else {
            return false;
        };
        i = next;
        if i < s.len() && s[i] == ',' {
            i += 1;
            let Some(next) = address(&s, i) else {
                return false;
            };
            i = next;
        }
        while i < s.len() && matches!(s[i], ' ' | '\t') {
            i += 1;
        }
        if i < s.len() && s[i] == '!' {
            i += 1;
            while i < s.len() && matches!(s[i], ' ' | '\t') {
                i += 1;
            }
        }
        let Some(&cmd) = s.get(i) else {
            return false;
        };
        i += 1;
        match cmd {
            '{' => depth += 1,
            'p' | 'P' | 'd' | 'D' | 'n' | 'N' | 'g' | 'G' | 'h' | 'H' | 'x' | 'z' | '=' | 'F' => {}
            'q' | 'Q' | 'l' | 'L' => {
                while i < s.len() && (s[i].is_ascii_digit() || matches!(s[i], ' ' | '\t')) {
                    i += 1;
                }
            }
            ':' | 'b' | 't' | 'T' => {
                // A label runs to the end of the command.
                while i < s.len() && !matches!(s[i], ';' | '\n' | '}') {
                    i += 1;
                }
            }
            'a' | 'i' | 'c' => {
                // Text to output: to the end of the line (continued by a trailing backslash).
                while i < s.len() {
                    if s[i] == '\\' {
                        i += 2;
                        continue;
                    }
                    if s[i] == '\n' {
                        break;
                    }
                    i += 1;
                }
            }
            's' => {
                let Some(next) = substitute(&s, i) else {
                    return false;
                };
                i = next;
            }
            'y' => {
                let Some(d) = s.get(i).copied().filter(|d| *d != '\\' && *d != '\n') else {
                    return false;
                };
                let Some(a) = delimited(&s, i + 1, d) else {
                    return false;
                };
                let Some(b) = delimited(&s, a, d) else {
                    return false;
                };
                i = b;
            }
            // r R w W e v and anything unknown.
            _ => return false,
        }
    }
}

/// Skips one address (`12`, `$`, `/re/I`, `\%re%`, `first~step`, `+N`, `~N`); returns the
/// position after it (unchanged when there is none).
fn address(s: &[char], mut i: usize) -> Option<usize> {
    match s.get(i) {
        Some(c) if c.is_ascii_digit() => {
            while s.get(i).is_some_and(|c| c.is_ascii_digit()) {
                i += 1;
            }
            if s.get(i) == Some(&'~') {
                i += 1;
                while s.get(i).is_some_and(|c| c.is_ascii_digit()) {
                    i += 1;
                }
            }
        }
        Some('+' | '~') => {
            i += 1;
            while s.get(i).is_some_and(|c| c.is_ascii_digit()) {
                i += 1;
            }
        }
        Some('$') => i += 1,
        Some('/') => {
            i = delimited(s, i + 1, '/')?;
            while matches!(s.get(i), Some('I' | 'M')) {
                i += 1;
            }
        }
        Some('\\') => {
            let d = *s.get(i + 1)?;
            i = delimited(s, i + 2, d)?;
            while matches!(s.get(i), Some('I' | 'M')) {
                i += 1;
            }
        }
        _ => {}
    }
    Some(i)
}

/// Skips text up to an unescaped `d`; returns the position after it.
fn delimited(s: &[char], mut i: usize, d: char) -> Option<usize> {
    while i < s.len() {
        if s[i] == '\\' {
            i += 2;
            continue;
        }
        if s[i] == d {
            return Some(i + 1);
        }
        if s[i] == '\n' && d != '\n' {
            return None;
        }
        i += 1;
    }
    None
}

/// `s/re/rep/flags` after the `s`: safe flags only (no `w` file, no `e` execution).
fn substitute(s: &[char], i: usize) -> Option<usize> {
    let d = *s.get(i)?;
    if d == '\\' || d == '\n' {
        return None;
    }
    let a = delimited(s, i + 1, d)?;
    let mut j = delimited(s, a, d)?;
    while let Some(&f) = s.get(j) {
        match f {
            'g' | 'p' | 'i' | 'I' | 'm' | 'M' => j += 1,
            c if c.is_ascii_digit() => j += 1,
            ';' | '\n' | '}' | ' ' | '\t' => break,
            _ => return None,
        }
    }
    Some(j)
}

#[cfg(test)]
mod tests {
    use super::is_safe_script;

    #[test]
    fn safe_scripts() {
        for s in [
            "p",
            "1,10p",
            "s/a/b/g",
            "s|a|b|2p",
            "/foo/d",
            "$!N;P;D",
            ":a;N;$!ba;s/\\n/ /g",
            "y/abc/xyz/",
            "/x/,/y/{s/a/b/;p}",
            "1~2d",
            "0,/re/s//X/",
            "\\%a%p",
            "a hello",
            "= ",
            "# comment\np",
            "q5",
        ] {
            assert!(is_safe_script(s), "{s:?} should be safe");
        }
    }

    #[test]
    fn unsafe_scripts() {
        for s in [
            "w out.txt",
            "s/a/b/w out.txt",
            "s/a/b/e",
            "e rm -rf x",
            "1e id",
            "r /etc/passwd",
            "R /etc/passwd",
            "W x",
            "s/a/b",
            "{p",
            "p}",
            "/unterminated",
            "1!w x",
            "s/x/y/;w z",
            "v",
        ] {
            assert!(!is_safe_script(s), "{s:?} should be unsafe");
        }
    }
}
