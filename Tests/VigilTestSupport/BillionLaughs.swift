/// A "billion laughs" YAML document: ten levels, each naming the one before nine times, so expanding its aliases
/// would build 9^9 leaves. The YAML composer's limits test and the catalog reader's both feed it.
public enum BillionLaughs {
    /// As sequences (`l1: &l1 [*l0, …]`) or, with `asMapping`, as mappings (`l1: &l1 {a: *l0, …}`).
    public static func document(asMapping: Bool) -> String {
        var text =
            asMapping
            ? "l0: &l0 {a: lol, b: lol, c: lol, d: lol, e: lol, f: lol, g: lol, h: lol, i: lol}\n"
            : "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...9 {
            let aliases = "abcdefghi".map { asMapping ? "\($0): *l\(level - 1)" : "*l\(level - 1)" }.joined(separator: ", ")
            text += asMapping ? "l\(level): &l\(level) {\(aliases)}\n" : "l\(level): &l\(level) [\(aliases)]\n"
        }
        return text
    }
}
