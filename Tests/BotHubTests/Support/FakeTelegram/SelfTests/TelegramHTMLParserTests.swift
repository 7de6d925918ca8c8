import Testing

/// The fake's HTML parse mode must refuse and accept exactly what Telegram does; the expectations are the cases of
/// TDLib's own `parse_html` tests (the Bot API server's parser), with their byte offsets and texts.
@Suite("Fake Telegram: HTML parse mode")
struct TelegramHTMLParserTests {
    typealias Entity = TelegramFormattedText.Entity

    static let server = TelegramHTMLParser(strictness: .server)

    static let refusals: [(markup: String, error: String)] = [
        ("🏟 🏟&lt;<abacaba", "Unclosed start tag at byte offset 13"),
        ("🏟 🏟&lt;<abac aba>", "Unsupported start tag \"abac\" at byte offset 13"),
        ("🏟 🏟&lt;<abac>", "Unsupported start tag \"abac\" at byte offset 13"),
        ("🏟 🏟&lt;<i   =aba>", "Empty attribute name in the tag \"i\" at byte offset 13"),
        ("🏟 🏟&lt;<i    aba>", "Can't find end tag corresponding to start tag \"i\""),
        ("🏟 🏟&lt;<i    aba  =  ", "Unclosed start tag \"i\" at byte offset 13"),
        ("🏟 🏟&lt;<i    aba  =  190azAz-.,", "Unexpected end of name token at byte offset 27"),
        ("🏟 🏟&lt;<i    aba  =  \"&lt;&gt;&quot;>", "Unclosed start tag at byte offset 13"),
        ("🏟 🏟&lt;<i    aba  =  '&lt;&gt;&quot;>", "Unclosed start tag at byte offset 13"),
        ("🏟 🏟&lt;</", "Unexpected end tag at byte offset 13"),
        ("🏟 🏟&lt;<b></b></", "Unexpected end tag at byte offset 20"),
        ("🏟 🏟&lt;<i>a</i   ", "Unclosed end tag at byte offset 17"),
        ("🏟 🏟&lt;<i>a</em   >", "Unmatched end tag at byte offset 17, expected \"</i>\", found \"</em>\""),
        ("&#57311;", "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched surrogate code units"),
        ("&#xDFDF", "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched surrogate code units"),
        ("<br>", "Unsupported start tag \"br\" at byte offset 0"),
        ("a < b", "Unsupported start tag \"\" at byte offset 2"),
        ("<span>x</span>", "Tag \"span\" must have class \"tg-spoiler\" at byte offset 0"),
        ("<b>x", "Can't find end tag corresponding to start tag \"b\""),
        ("x</b>", "Unexpected end tag at byte offset 1"),
    ]

    @Test("malformed HTML is refused with Telegram's message and byte offset", arguments: refusals)
    func refusal(markup: String, error: String) {
        #expect(throws: TelegramHTMLParser.Failure(message: error)) { try Self.server.parse(markup) }
    }

    static let parses: [(markup: String, text: String, entities: [Entity])] = [
        ("", "", []),
        ("&ge;&lt;&gt;&amp;&quot;&laquo;&raquo;&#12345678;", "&ge;<>&\"&laquo;&raquo;&#12345678;", []),
        ("➡️ ➡️<i>➡️ ➡️</i>", "➡️ ➡️➡️ ➡️", [Entity(type: "italic", offset: 5, length: 5)]),
        ("➡️ ➡️<strong>➡️ ➡️</strong>", "➡️ ➡️➡️ ➡️", [Entity(type: "bold", offset: 5, length: 5)]),
        ("🏟 🏟<i>🏟 &lt🏟</i>", "🏟 🏟🏟 <🏟", [Entity(type: "italic", offset: 5, length: 6)]),
        (
            "🏟 🏟<i>🏟 &gt;<b aba   =   caba>&lt🏟</b></i>", "🏟 🏟🏟 ><🏟",
            [Entity(type: "italic", offset: 5, length: 7), Entity(type: "bold", offset: 9, length: 3)]
        ),
        ("🏟 🏟&lt;<i    aba  =  '&lt;&gt;&quot;'>a</>", "🏟 🏟<a", [Entity(type: "italic", offset: 6, length: 1)]),
        ("🏟 🏟&lt;<b></b>", "🏟 🏟<", []),
        ("<span class = \"tg-spoiler\">x</span>", "x", [Entity(type: "spoiler", offset: 0, length: 1)]),
        ("<a href=telegram.org>\n</a>", "\n", [Entity(type: "text_link", offset: 0, length: 1, url: "http://telegram.org/")]),
        ("<a   href=  'telegram.org?&lt;'   > </a>", " ", [Entity(type: "text_link", offset: 0, length: 1, url: "http://telegram.org/?<")]),
        ("<a>telegram.org </a>", "telegram.org ", []),
        (
            "<code><i><b> </b></i></code>", " ",
            [Entity(type: "code", offset: 0, length: 1), Entity(type: "bold", offset: 0, length: 1), Entity(type: "italic", offset: 0, length: 1)]
        ),
        ("<pre><code class=\"language-fift\">x</code></pre>", "x", [Entity(type: "pre", offset: 0, length: 1, language: "fift")]),
        ("<blockquote expandable>q</blockquote>", "q", [Entity(type: "expandable_blockquote", offset: 0, length: 1)]),
    ]

    @Test("well-formed HTML gives Telegram's text and entities (UTF-16 offsets)", arguments: parses)
    func parse(markup: String, text: String, entities: [Entity]) throws {
        let parsed = try Self.server.parse(markup)
        #expect(parsed.text == text)
        #expect(parsed.entities == entities)
    }

    @Test("by default a stray & must be escaped, as the Bot API documentation requires")
    func documentedAmpersand() {
        let parser = TelegramHTMLParser()
        #expect(throws: TelegramHTMLParser.Failure(message: "Character \"&\" at byte offset 4 must be escaped as &amp;")) {
            try parser.parse("Tom & Jerry")
        }
        #expect(throws: TelegramHTMLParser.Failure.self) { try parser.parse("&nbsp;") }
        #expect((try? parser.parse("Tom &amp; Jerry &#38; &#x26; &lt").text) == "Tom & Jerry & & <")
    }

    @Test("surrounding white space is trimmed and the entities move with the text")
    func trimming() throws {
        let parsed = try Self.server.parse("\n  <b>alert</b> \n").trimmed()
        #expect(parsed.text == "alert")
        #expect(parsed.entities == [Entity(type: "bold", offset: 0, length: 5)])
    }
}
