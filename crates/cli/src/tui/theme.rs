//! Colours and text attributes. Only the 16 ANSI colours (they follow the user's terminal
//! palette, light or dark); nothing at all when `NO_COLOR` is set or stdout is not a terminal.

use std::fmt::Write as _;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Color {
    Red,
    Green,
    Yellow,
    Blue,
    Magenta,
    Cyan,
    /// Bright black: secondary text.
    Gray,
}

impl Color {
    fn fg_code(self) -> u8 {
        match self {
            Color::Red => 31,
            Color::Green => 32,
            Color::Yellow => 33,
            Color::Blue => 34,
            Color::Magenta => 35,
            Color::Cyan => 36,
            Color::Gray => 90,
        }
    }
}

/// A text style: a foreground colour and attributes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Style {
    pub fg: Option<Color>,
    pub bold: bool,
    pub dim: bool,
    pub italic: bool,
    pub underline: bool,
    pub strike: bool,
    pub reverse: bool,
}

impl Style {
    pub const fn plain() -> Self {
        Style {
            fg: None,
            bold: false,
            dim: false,
            italic: false,
            underline: false,
            strike: false,
            reverse: false,
        }
    }
    pub const fn fg(c: Color) -> Self {
        let mut s = Self::plain();
        s.fg = Some(c);
        s
    }
    pub const fn bold(mut self) -> Self {
        self.bold = true;
        self
    }
    pub const fn dim(mut self) -> Self {
        self.dim = true;
        self
    }
    pub const fn italic(mut self) -> Self {
        self.italic = true;
        self
    }
    pub const fn underline(mut self) -> Self {
        self.underline = true;
        self
    }
    pub const fn strike(mut self) -> Self {
        self.strike = true;
        self
    }
    /// `other`'s colour (if any) and the union of both attribute sets.
    pub fn merge(self, other: Style) -> Style {
        Style {
            fg: other.fg.or(self.fg),
            bold: self.bold || other.bold,
            dim: self.dim || other.dim,
            italic: self.italic || other.italic,
            underline: self.underline || other.underline,
            strike: self.strike || other.strike,
            reverse: self.reverse || other.reverse,
        }
    }
    pub fn is_plain(&self) -> bool {
        *self == Style::plain()
    }

    /// The SGR sequence that turns this style on (empty for plain).
    pub fn sgr(&self) -> String {
        if self.is_plain() {
            return String::new();
        }
        let mut codes: Vec<u8> = Vec::new();
        if self.bold {
            codes.push(1);
        }
        if self.dim {
            codes.push(2);
        }
        if self.italic {
            codes.push(3);
        }
        if self.underline {
            codes.push(4);
        }
        if self.reverse {
            codes.push(7);
        }
        if self.strike {
            codes.push(9);
        }
        if let Some(c) = self.fg {
            codes.push(c.fg_code());
        }
        let mut s = String::from("\x1b[");
        for (i, c) in codes.iter().enumerate() {
            if i > 0 {
                s.push(';');
            }
            let _ = write!(s, "{c}");
        }
        s.push('m');
        s
    }
}

pub const RESET: &str = "\x1b[0m";

/// Whether to colour, decided once at start-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    #[cfg(test)]
    pub const PLAIN: Theme = Theme { color: false };
    #[cfg(test)]
    pub const COLOR: Theme = Theme { color: true };

    /// Colours unless `NO_COLOR` is set (to anything non-empty), `TERM=dumb`, or stdout is not
    /// a terminal.
    pub fn detect() -> Theme {
        use std::io::IsTerminal;
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
        Theme {
            color: !no_color && !dumb && std::io::stdout().is_terminal(),
        }
    }

    /// `text` in `style` (unchanged without colours).
    pub fn paint(&self, style: Style, text: &str) -> String {
        if !self.color || style.is_plain() || text.is_empty() {
            return text.to_string();
        }
        format!("{}{text}{RESET}", style.sgr())
    }
}

// The palette, by meaning.
pub const ERROR: Style = Style::fg(Color::Red);
pub const WARN: Style = Style::fg(Color::Yellow);
pub const OK: Style = Style::fg(Color::Green);
pub const DIM: Style = Style::plain().dim();
pub const SECONDARY: Style = Style::fg(Color::Gray);
pub const ACCENT: Style = Style::fg(Color::Magenta);
pub const TOOL: Style = Style::plain().bold();
pub const CODE: Style = Style::fg(Color::Cyan);
pub const LINK: Style = Style::fg(Color::Blue).underline();
pub const ADDED: Style = Style::fg(Color::Green);
pub const REMOVED: Style = Style::fg(Color::Red);
pub const SELECTED: Style = Style::fg(Color::Cyan).bold();
pub const PERMISSION: Style = Style::fg(Color::Yellow).bold();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_theme_emits_no_escapes() {
        assert_eq!(Theme::PLAIN.paint(ERROR.bold(), "x"), "x");
        assert_eq!(Theme::COLOR.paint(ERROR.bold(), "x"), "\x1b[1;31mx\x1b[0m");
        assert_eq!(Theme::COLOR.paint(Style::plain(), "x"), "x");
    }

    #[test]
    fn merge_keeps_attributes() {
        let s = DIM.merge(Style::fg(Color::Red).bold());
        assert!(s.dim && s.bold);
        assert_eq!(s.fg, Some(Color::Red));
    }
}
