//! What HTML says about element names: dropped, void, block-level, closing an open `<p>`.

/// Elements never rendered (with their content).
pub(super) fn is_dropped(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "noscript"
            | "svg"
            | "head"
            | "template"
            | "iframe"
            | "select"
            | "math"
            | "object"
            | "canvas"
            | "noembed"
            | "noframes"
            | "title"
            | "frameset"
    )
}

pub(super) fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
            | "keygen"
    )
}

/// Block elements and the newlines around them (1 = own line, 2 = paragraph).
pub(super) fn block_gap(name: &str) -> Option<usize> {
    Some(match name {
        "p" | "hr" | "table" | "dl" | "figure" | "details" | "address" | "fieldset" => 2,
        "div" | "section" | "article" | "header" | "footer" | "nav" | "main" | "aside" | "form"
        | "figcaption" | "summary" | "dt" | "dd" | "legend" | "center" | "hgroup" | "dialog"
        | "caption" | "option" | "label" | "tr" | "body" => 1,
        _ => return None,
    })
}

/// Start tags that close an open `<p>` (as in HTML).
pub(super) fn closes_p(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "center"
            | "details"
            | "dialog"
            | "dir"
            | "div"
            | "dl"
            | "dd"
            | "dt"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hgroup"
            | "hr"
            | "li"
            | "main"
            | "menu"
            | "nav"
            | "ol"
            | "p"
            | "pre"
            | "section"
            | "summary"
            | "table"
            | "ul"
    )
}
