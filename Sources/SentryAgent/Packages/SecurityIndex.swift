/// One apt `Packages` index on this host, as `apt-get indextargets` describes it.
struct SecurityIndex: Sendable, Equatable {
    /// The list file under `Dir::State::Lists`, possibly compressed (`.lz4`, `.xz`…): read with `apt-helper cat-file`.
    var path: String
    var label: String
    var suite: String
    var codename: String
    var architecture: String

    /// The `--format` handed to `apt-get indextargets`: one tab-separated line per index.
    static let format = "$(FILENAME)\t$(LABEL)\t$(SUITE)\t$(CODENAME)\t$(ARCHITECTURE)"

    /// Chosen as unattended-upgrades' default origins choose: the Debian security archive's label, or an archive
    /// (suite or codename) named `…-security` as Ubuntu's and Debian's are.
    var isSecurity: Bool {
        label == "Debian-Security" || suite.hasSuffix("-security") || codename.hasSuffix("-security")
    }

    /// The indexes in `apt-get indextargets --format` output. apt leaves a placeholder it has no value for as written
    /// (a repository whose Release has no Label), so `$(…)` reads as empty.
    static func parse(indextargets output: String) -> [SecurityIndex] {
        output.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map { $0.hasPrefix("$(") ? "" : String($0) }
            guard fields.count == 5, !fields[0].isEmpty else { return nil }
            return SecurityIndex(path: fields[0], label: fields[1], suite: fields[2], codename: fields[3], architecture: fields[4])
        }
    }
}
