//! End-to-end conversions: HTML in, markdown out.

use super::*;

fn md(html: &str) -> String {
    html_to_markdown(html, Some("https://example.com/docs/page.html"))
}

#[test]
fn headings_paragraphs_and_emphasis() {
    let out = md(
        "<h1>Title</h1><p>Some <b>bold</b>, <em>italic</em> and <code>x &lt; y</code>.</p>\
         <h3>Sub  heading</h3><p>Second\n   paragraph</p>",
    );
    assert_eq!(
        out,
        "# Title\n\nSome **bold**, *italic* and `x < y`.\n\n### Sub heading\n\nSecond paragraph"
    );
}

#[test]
fn whitespace_is_collapsed_and_markers_hug_words() {
    assert_eq!(md("<p>  a   <b> bold </b>  c </p>"), "a **bold** c");
    assert_eq!(md("<p>a<b></b>b<i> </i>c</p>"), "ab c");
    assert_eq!(md("<p>x&nbsp;&nbsp;y</p>"), "x y");
    assert_eq!(md("<b><b>nested</b></b>"), "**nested**");
}

#[test]
fn line_breaks_and_rules() {
    assert_eq!(md("a<br>b<br/><br>c"), "a\nb\n\nc");
    assert_eq!(md("<p>a</p><hr><p>b</p>"), "a\n\n---\n\nb");
}

#[test]
fn links_resolve_against_the_page_and_base() {
    assert_eq!(
        md("<a href=\"/x\">abs</a> <a href='y.html'>rel</a> <a href=https://o.org/z>ext</a>"),
        "[abs](https://example.com/x) [rel](https://example.com/docs/y.html) [ext](https://o.org/z)"
    );
    assert_eq!(
        md("<a href=\"#top\">Top</a> <a href=\"javascript:void(0)\">js</a>"),
        "Top js"
    );
    assert_eq!(md("<a href=\"/x\"> </a>after"), "after");
    assert_eq!(
        md("<head><base href=\"https://cdn.net/root/\"></head><body><a href=\"p\">p</a></body>"),
        "[p](https://cdn.net/root/p)"
    );
    assert_eq!(
        html_to_markdown("<a href=\"rel\">r</a>", None),
        "[r](rel)",
        "without a base the href stays as written"
    );
}

#[test]
fn headings_inside_links_lead_the_line() {
    assert_eq!(
        md("<a href=\"/post\"><h2>Title</h2></a><a href=\"/e\"><h3></h3></a>after"),
        "## [Title](https://example.com/post)\n\nafter"
    );
    assert_eq!(md("<b><h1>Bold title</h1></b>"), "# **Bold title**");
}

#[test]
fn images() {
    assert_eq!(
        md("<img src=\"/logo.png\" alt=\"The  logo\">"),
        "![The logo](https://example.com/logo.png)"
    );
    assert_eq!(
        md("<a href=\"/home\"><img src=\"i.png\" alt=\"\"></a>"),
        "[![](https://example.com/docs/i.png)](https://example.com/home)"
    );
    assert_eq!(
        md("<img src=\"data:image/png;base64,AAAA\" alt=\"pic\">"),
        "![pic]"
    );
    // Without a usable source the alt text is all the image says.
    assert_eq!(md("<img alt=\"no src\"> x"), "![no src] x");
    assert_eq!(md("<img src=''>x"), "x");
}

#[test]
fn nested_lists() {
    let out = md(
        "<ul><li>one</li><li>two<ul><li>two.a</li><li>two.b</li></ul></li>\
         <li>three</li></ul><ol start=\"3\"><li>c<ol><li>i</li></ol></li><li>d</li></ol>",
    );
    assert_eq!(
        out,
        "- one\n- two\n  - two.a\n  - two.b\n- three\n\n3. c\n   1. i\n4. d"
    );
}

#[test]
fn unclosed_list_items_are_closed_implicitly() {
    assert_eq!(
        md("<ul><li>a<li>b<li>c</ul>after"),
        "- a\n- b\n- c\n\nafter"
    );
}

#[test]
fn block_quotes_and_nesting() {
    assert_eq!(
        md(
            "<p>before</p><blockquote><p>q1</p><p>q2</p><ul><li>x</li></ul></blockquote><p>after</p>"
        ),
        "before\n\n> q1\n>\n> q2\n>\n> - x\n\nafter"
    );
    assert_eq!(
        md("<blockquote>outer<blockquote>inner</blockquote></blockquote>"),
        "> outer\n>\n> > inner"
    );
}

#[test]
fn preformatted_code_is_fenced_verbatim() {
    let out = md(
        "<p>Run:</p><pre class=\"language-rust\"><code>fn main() {\n    \
         println!(\"&lt;hi&gt;\");\n}\n</code></pre><p>done</p>",
    );
    assert_eq!(
        out,
        "Run:\n\n```rust\nfn main() {\n    println!(\"<hi>\");\n}\n```\n\ndone"
    );
    // Markup inside pre is ignored; backticks in the code get a longer fence.
    assert_eq!(
        md("<pre>\n<span class=k>let</span> s = <b>```</b>;</pre>"),
        "````\nlet s = ```;\n````"
    );
    assert_eq!(md("<code>a `tick`</code>"), "`` a `tick` ``");
}

#[test]
fn inline_code_with_backticks() {
    assert_eq!(md("<code>`x`</code>"), "`` `x` ``");
    assert_eq!(md("use <code>a  b</code> here"), "use `a b` here");
}

#[test]
fn pre_inside_list_keeps_the_indent() {
    assert_eq!(
        md("<ul><li>step<pre>cargo build\ncargo test</pre></li></ul>"),
        "- step\n\n  ```\n  cargo build\n  cargo test\n  ```"
    );
}

#[test]
fn tables() {
    let out = md(
        "<table><caption>Prices</caption><thead><tr><th>Name</th><th>Price</th></tr></thead>\
         <tbody><tr><td>Tea</td><td>$1 | cheap</td></tr><tr><td><a href=\"/c\">Coffee</a></td>\
         <td>$2<br>hot</td></tr></tbody></table>",
    );
    assert_eq!(
        out,
        "Prices\n\n| Name | Price |\n| --- | --- |\n| Tea | $1 \\| cheap |\n\
         | [Coffee](https://example.com/c) | $2<br>hot |"
    );
}

#[test]
fn tables_with_implied_closes_and_ragged_rows() {
    let out = md("<table><tr><td>a<td>b<td>c<tr><td colspan=2>wide<td>z<tr><td>short</table>");
    assert_eq!(
        out,
        "| a | b | c |\n| --- | --- | --- |\n| wide |  | z |\n| short |  |  |"
    );
}

#[test]
fn layout_tables_become_paragraphs_and_nested_tables_flatten() {
    assert_eq!(
        md("<table><tr><td><p>Hello</p></td></tr><tr><td>World</td></tr></table>"),
        "Hello\n\nWorld"
    );
    let out = md(
        "<table><tr><td>k</td><td><table><tr><td>x</td><td>y</td></tr>\
         <tr><td>z</td></tr></table></td></tr></table>",
    );
    assert_eq!(out, "| k | x y<br>z |\n| --- | --- |");
}

#[test]
fn dropped_elements() {
    let out = md("<html><head><title>T</title><style>p{color:red}</style>\
         <script>var x = '<p>no</p>';</script></head><body><noscript>enable js</noscript>\
         <p>kept</p><svg><text>no</text></svg><template><p>no</p></template>\
         <script type=\"module\">if (a</b) {}</script><p>also kept</p></body></html>");
    assert_eq!(out, "kept\n\nalso kept");
}

#[test]
fn unclosed_head_ends_at_body() {
    assert_eq!(md("<head><meta charset=utf-8><body><p>x</p>"), "x");
}

#[test]
fn broken_markup_is_tolerated() {
    // Unclosed tags, stray end tags, misnesting, a lone `<`, unterminated comment and tag.
    assert_eq!(
        md("<p>a < b and <b>bold <i>both</b> plain</i></p></div></span>"),
        "a < b and **bold *both*** plain"
    );
    assert_eq!(md("<p>one<p>two<div>three</p>"), "one\n\ntwo\n\nthree");
    assert_eq!(
        md("text<!-- a comment -->more<!-- never closed"),
        "textmore"
    );
    assert_eq!(md("<p>ok</p><a href=\"/x"), "ok");
    assert_eq!(
        md("<p>ok</p><img src=\"/a.png\" alt='oops>tail"),
        "ok\n\n![oops](https://example.com/a.png)tail"
    );
    assert_eq!(md("</p>x</ul></li></td>"), "x");
    assert_eq!(md("<!DOCTYPE html><?xml version=1?><p>x</p>"), "x");
    assert_eq!(md("<p><![CDATA[raw <text>]]></p>"), "raw <text>");
    assert_eq!(md("<"), "<");
    assert_eq!(md("<p>end <"), "end <");
    assert_eq!(md("</"), "");
    assert_eq!(md(""), "");
}

#[test]
fn attribute_forms() {
    assert_eq!(
        md("<a title=x href = '/q?a=1&amp;b=2' data-x>q</a>"),
        "[q](https://example.com/q?a=1&b=2)"
    );
    assert_eq!(md("<A HREF=/up>Up</A>"), "[Up](https://example.com/up)");
}

#[test]
fn task_list_checkboxes() {
    assert_eq!(
        md(
            "<ul><li><input type=checkbox checked> done</li><li><input type=\"checkbox\">todo</li></ul>"
        ),
        "- [x] done\n- [ ] todo"
    );
}

#[test]
fn deep_nesting_stays_linear() {
    let html = "<div><span><b>".repeat(20_000) + "deep" + &"</x>".repeat(20_000);
    let t = std::time::Instant::now();
    let out = md(&html);
    assert!(out.contains("deep"));
    assert!(t.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn realistic_page() {
    let html = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Docs</title>
<link rel="stylesheet" href="/s.css"><script>window.x = 1;</script></head>
<body>
  <nav class="top"><ul><li><a href="/">Home</a></li><li><a href="/docs/">Docs</a></li></ul></nav>
  <main>
<article>
  <h1 id="intro">Getting&nbsp;started</h1>
  <p>Install the tool with
     <code>cargo install ccrs</code>, then run it:</p>
  <pre><code class="language-sh">ccrs -p "hello"
</code></pre>
  <h2>Options</h2>
  <dl><dt>--model</dt><dd>Which model to use.</dd></dl>
  <p>See <a href="options.html#model">the options page</a> &mdash; or the <em>FAQ</em>.</p>
</article>
  </main>
  <footer><p>&copy; 2026 Example</p></footer>
</body></html>"#;
    assert_eq!(
        md(html),
        "- [Home](https://example.com/)\n- [Docs](https://example.com/docs/)\n\n\
         # Getting started\n\n\
         Install the tool with `cargo install ccrs`, then run it:\n\n\
         ```sh\nccrs -p \"hello\"\n```\n\n\
         ## Options\n\n--model\nWhich model to use.\n\n\
         See [the options page](https://example.com/docs/options.html#model) — or the *FAQ*.\n\n\
         © 2026 Example"
    );
}

#[test]
fn never_panics_on_arbitrary_slices() {
    let doc = "<html><body><h1>T&eacute;st</h1><ul><li>a<ol><li>b</ol></ul><table><tr><td>1\
               <td>2</table><pre>x\ny</pre><blockquote>q</blockquote><a href=/é>é</a></body>";
    for (i, _) in doc.char_indices() {
        let _ = md(&doc[..i]);
        let _ = md(&doc[i..]);
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    /// Any soup of tag fragments converts without panicking, and the output never has more
    /// than one blank line in a row or trailing spaces.
    #[test]
    fn arbitrary_markup_never_panics(parts in proptest::collection::vec(proptest::sample::select(vec![
        "<p>", "</p>", "<div>", "</div>", "<ul>", "</ul>", "<ol start=9>", "<li>", "</li>",
        "<table>", "</table>", "<tr>", "<td colspan=3>", "</td>", "<th>", "<caption>",
        "<pre>", "</pre>", "<code>", "</code>", "<b>", "</b>", "<em>", "</em>", "<a href=/x>",
        "<a href='", "</a>", "<img src=i.png alt=\"a\">", "<br>", "<hr>", "<blockquote>",
        "</blockquote>", "<h2>", "</h2>", "<script>", "</script>", "<svg>", "</svg>",
        "<!--", "-->", "<", ">", "&amp;", "&#x", "&", "text", " ", "\n", "é", "`", "|",
        "<head>", "<body>", "</html>", "<input type=checkbox checked>", "<q>", "</q>",
    ]), 0..60)) {
        let html: String = parts.concat();
        let out = md(&html);
        proptest::prop_assert!(!out.contains("\n\n\n") || out.contains("```"), "{out:?}");
        proptest::prop_assert!(out.lines().all(|l| l == l.trim_end()), "{out:?}");
    }
}
