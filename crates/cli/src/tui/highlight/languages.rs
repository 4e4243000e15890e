//! The languages the highlighter knows: fence names, word lists and the rules of the C-like
//! scanner per language.

use super::Kind;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Lang {
    Rust,
    Python,
    Js,
    Go,
    Shell,
    Json,
    Yaml,
    Toml,
    C,
    Java,
    Diff,
}

/// The language of a fence's info string (`rust`, `py`, `tsx`, `rust,ignore`, …).
pub(super) fn lang(info: &str) -> Option<Lang> {
    let name = info
        .trim_start_matches(['{', '.'])
        .split([',', '{', '}', ' '])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    Some(match name.as_str() {
        "rust" | "rs" => Lang::Rust,
        "python" | "py" | "python3" | "py3" | "pyi" | "gyp" => Lang::Python,
        "javascript" | "js" | "jsx" | "mjs" | "cjs" | "typescript" | "ts" | "tsx" | "mts"
        | "cts" => Lang::Js,
        "go" | "golang" => Lang::Go,
        "sh" | "bash" | "zsh" | "ksh" | "shell" | "console" | "shellsession" | "shell-session" => {
            Lang::Shell
        }
        "json" | "jsonc" | "json5" | "jsonl" => Lang::Json,
        "yaml" | "yml" => Lang::Yaml,
        "toml" => Lang::Toml,
        "c" | "h" | "cpp" | "c++" | "cc" | "cxx" | "hpp" | "hh" | "hxx" | "cu" => Lang::C,
        "java" => Lang::Java,
        "diff" | "patch" | "udiff" => Lang::Diff,
        _ => return None,
    })
}

/// Per-language word lists and rules of the C-like scanner. A word list is one string of
/// space-separated words: a slice of `&str` would cost a pointer and a relocation per word in
/// the binary (about 40 bytes each), and a linear scan of a few dozen short words is cheap
/// next to the per-line cap.
pub(super) struct Syntax {
    pub(super) keywords: &'static str,
    pub(super) types: &'static str,
    pub(super) literals: &'static str,
    pub(super) line_comment: &'static str,
    pub(super) block_comment: bool,
    pub(super) nested_comments: bool,
    /// Capitalised identifiers are types.
    pub(super) cap_types: bool,
    /// Quote characters that open strings, and whether such a string may span lines.
    pub(super) quotes: &'static [(u8, bool)],
    /// `"""` strings (and `'''` when `'` quotes too).
    pub(super) triple: bool,
    /// `@name` decorators / annotations.
    pub(super) decorators: bool,
}

pub(super) const RUST: Syntax = Syntax {
    keywords: "as async await break const continue crate dyn else enum extern fn for if impl in let \
        loop match mod move mut pub ref return static struct super trait type union unsafe \
        use where while yield",
    types: "bool char f32 f64 i128 i16 i32 i64 i8 isize str u128 u16 u32 u64 u8 usize",
    literals: "Self false self true",
    line_comment: "//",
    block_comment: true,
    nested_comments: true,
    cap_types: true,
    quotes: &[(b'"', true)],
    triple: false,
    decorators: false,
};

pub(super) const PYTHON: Syntax = Syntax {
    keywords: "and as assert async await break class continue def del elif else except finally for \
        from global if import in is lambda nonlocal not or pass raise return try while with \
        yield",
    types: "bool bytes dict float frozenset int len list object print range set str super tuple \
        type",
    literals: "False None True cls self",
    line_comment: "#",
    block_comment: false,
    nested_comments: false,
    cap_types: true,
    quotes: &[(b'"', false), (b'\'', false)],
    triple: true,
    decorators: true,
};

pub(super) const JS: Syntax = Syntax {
    keywords: "abstract as async await break case catch class const continue debugger declare \
        default delete do else enum export extends finally for from function if implements \
        import in instanceof interface keyof let namespace new of private protected public \
        readonly return satisfies static super switch this throw try type typeof var void \
        while with yield",
    types: "any bigint boolean never number object string symbol unknown",
    literals: "Infinity NaN false null true undefined",
    line_comment: "//",
    block_comment: true,
    nested_comments: false,
    cap_types: true,
    quotes: &[(b'"', false), (b'\'', false), (b'`', true)],
    triple: false,
    decorators: true,
};

pub(super) const GO: Syntax = Syntax {
    keywords: "break case chan const continue default defer else fallthrough for func go goto if \
        import interface map package range return select struct switch type var",
    types: "any bool byte complex128 complex64 error float32 float64 int int16 int32 int64 int8 \
        rune string uint uint16 uint32 uint64 uint8 uintptr",
    literals: "false iota nil true",
    line_comment: "//",
    block_comment: true,
    nested_comments: false,
    cap_types: false,
    quotes: &[(b'"', false), (b'\'', false), (b'`', true)],
    triple: false,
    decorators: false,
};

pub(super) const SHELL: Syntax = Syntax {
    keywords: "case do done elif else esac fi for function if in select then time until while",
    // Builtins.
    types: "alias cd declare echo eval exec exit export local printf read readonly return set \
        shift source test trap unset",
    literals: "false true",
    line_comment: "#",
    block_comment: false,
    nested_comments: false,
    cap_types: false,
    quotes: &[(b'"', true), (b'\'', true)],
    triple: false,
    decorators: false,
};

pub(super) const JSON: Syntax = Syntax {
    keywords: "",
    types: "",
    literals: "false null true",
    // JSONC.
    line_comment: "//",
    block_comment: true,
    nested_comments: false,
    cap_types: false,
    quotes: &[(b'"', false)],
    triple: false,
    decorators: false,
};

pub(super) const TOML: Syntax = Syntax {
    keywords: "",
    types: "",
    literals: "false inf nan true",
    line_comment: "#",
    block_comment: false,
    nested_comments: false,
    cap_types: false,
    quotes: &[(b'"', false), (b'\'', false)],
    triple: true,
    decorators: false,
};

pub(super) const C: Syntax = Syntax {
    keywords: "alignas alignof asm auto break case catch class co_await co_return co_yield const \
        const_cast consteval constexpr continue decltype default delete do dynamic_cast else \
        enum explicit export extern final for friend goto if inline mutable namespace new \
        noexcept operator override private protected public register reinterpret_cast \
        restrict return sizeof static static_assert static_cast struct switch template this \
        thread_local throw try typedef typeid typename union using virtual volatile while",
    types: "bool char char16_t char32_t char8_t double float int int16_t int32_t int64_t int8_t \
        long ptrdiff_t short signed size_t ssize_t uint16_t uint32_t uint64_t uint8_t \
        uintptr_t unsigned void wchar_t",
    literals: "NULL false nullptr true",
    line_comment: "//",
    block_comment: true,
    nested_comments: false,
    cap_types: false,
    quotes: &[(b'"', false), (b'\'', false)],
    triple: false,
    decorators: false,
};

pub(super) const JAVA: Syntax = Syntax {
    keywords: "abstract assert break case catch class const continue default do else enum extends \
        final finally for goto if implements import instanceof interface native new \
        non-sealed package permits private protected public record return sealed static \
        strictfp super switch synchronized this throw throws transient try var void volatile \
        while yield",
    types: "boolean byte char double float int long short",
    literals: "false null true",
    line_comment: "//",
    block_comment: true,
    nested_comments: false,
    cap_types: true,
    quotes: &[(b'"', false), (b'\'', false)],
    // Text blocks.
    triple: true,
    decorators: true,
};

pub(super) const YAML_LITERALS: &str =
    "FALSE False NULL Null TRUE True false no null off on true yes ~";

pub(super) fn syntax(lang: Lang) -> &'static Syntax {
    match lang {
        Lang::Rust => &RUST,
        Lang::Python => &PYTHON,
        Lang::Js => &JS,
        Lang::Go => &GO,
        Lang::Shell => &SHELL,
        Lang::Json => &JSON,
        Lang::Toml => &TOML,
        Lang::C => &C,
        Lang::Java => &JAVA,
        // Scanned by their own functions.
        Lang::Yaml | Lang::Diff => &JSON,
    }
}
/// Whether `word` is in the space-separated `list`.
pub(super) fn has(list: &str, word: &str) -> bool {
    !word.is_empty() && list.split(' ').any(|w| w == word)
}

pub(super) fn word_kind(syn: &Syntax, word: &str) -> Option<Kind> {
    if has(syn.keywords, word) {
        Some(Kind::Keyword)
    } else if has(syn.literals, word) {
        Some(Kind::Literal)
    } else if has(syn.types, word)
        || (syn.cap_types
            && word.as_bytes()[0].is_ascii_uppercase()
            && word.bytes().any(|c| c.is_ascii_lowercase()))
    {
        Some(Kind::Type)
    } else {
        None
    }
}
