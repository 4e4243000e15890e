//! A small, forgiving HTML → markdown converter for WebFetch.
//!
//! Not an HTML5 parser: a tolerant tokenizer feeds a renderer that keeps a stack of open
//! elements, closes what HTML implies (`<p>`, `<li>`, `<td>` …) and ignores stray end tags.
//! Output is meant for a model to read, so text is not markdown-escaped (escapes only add noise)
//! and anything without content for a reader (scripts, styles, SVG, the `<head>`) is dropped.

mod convert;
mod elements;
mod entities;
mod table;
#[cfg(test)]
mod tests;
mod tokenizer;
mod writer;

pub(crate) use entities::cp1252_high;
pub use entities::decode_entities;

use convert::Converter;
use tokenizer::Tokenizer;

/// Converts `html` to markdown. Relative links and images are resolved against `base_url`
/// (the page's URL) or a `<base href>` in the page.
pub fn html_to_markdown(html: &str, base_url: Option<&str>) -> String {
    let mut c = Converter::new(base_url);
    let mut tok = Tokenizer::new(html);
    while let Some(t) = tok.next_token() {
        c.token(t);
    }
    c.finish()
}
