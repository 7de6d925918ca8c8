/// A feed in the Debian security tracker's format, written so that each matching rule has a case (the comments of
/// `VulnerabilityMatchingTests` name them), and a dpkg status file to match against it.
enum TrackerFixture {
    static let feed = #"""
        {
          "openssl": {
            "CVE-2024-0001": {"description": "fixed later than installed", "scope": "remote", "releases": {
              "bookworm": {"status": "resolved", "repositories": {"bookworm": "3.0.15-1~deb12u1", "bookworm-security": "3.0.16-1~deb12u1"},
                           "fixed_version": "3.0.16-1~deb12u1", "urgency": "high**", "nodsa": "", "nodsa_reason": ""},
              "bullseye": {"status": "resolved", "repositories": {"bullseye": "1.1.1w-0+deb11u1"}, "fixed_version": "1.1.1w-0+deb11u2", "urgency": "high"}},
              "debianbug": 1000001},
            "CVE-2024-0002": {"scope": "remote", "releases": {"bookworm": {"status": "resolved", "fixed_version": "3.0.11-1~deb12u2", "urgency": "medium"}}},
            "CVE-2024-0003": {"releases": {"bookworm": {"status": "resolved", "fixed_version": "0", "urgency": "unimportant"}}},
            "CVE-2024-0004": {"releases": {"bookworm": {"status": "open", "urgency": "low", "nodsa": "Minor issue", "nodsa_reason": "ignored"}}},
            "CVE-2024-0005": {"releases": {"bookworm": {"status": "open", "urgency": "low**", "nodsa": "Minor issue", "nodsa_reason": "postponed"}}},
            "CVE-2024-0006": {"releases": {"bookworm": {"status": "undetermined", "urgency": "not yet assigned"}}},
            "CVE-2024-0007": {"releases": {"bullseye": {"status": "open", "urgency": "high"}}},
            "CVE-2024-0008": {"releases": {"bookworm": {"status": "resolved", "fixed_version": "3.0.15-1~deb12u1", "urgency": "medium"}}},
            "TEMP-0000000-ABCDEF": {"releases": {"bookworm": {"status": "open", "urgency": "unimportant"}}}
          },
          "glibc": {
            "CVE-2025-0001": {"scope": "local", "releases": {"bookworm": {"status": "resolved", "fixed_version": "2.36-9+deb12u3+b1", "urgency": "medium"}}},
            "CVE-2025-0002": {"releases": {"bookworm": {"status": "resolved", "fixed_version": "2.36-9+deb12u3", "urgency": "high"}}}
          },
          "curl": {
            "CVE-2024-0100": {"releases": {"bookworm": {"status": "resolved", "fixed_version": "7.88.1-10+deb12u8", "urgency": "high"}}}
          },
          "lib\u0073sh": {
            "CVE-2024-0200": {"releases": {"bookworm": {"status": "open", "urgency": "medium", "nodsa_reason": ""}}}
          },
          "not-installed": {
            "CVE-2024-0300": {"releases": {"bookworm": {"status": "open", "urgency": "high"}}}
          }
        }
        """#

    /// openssl at 3.0.15-1~deb12u1 (two binaries); libc6 and libc-bin, binNMUs `+b1` of glibc 2.36-9+deb12u3; curl
    /// removed with only its configuration left; libssh at 0.10.6-0+deb12u1.
    static let status = """
        Package: openssl
        Status: install ok installed
        Architecture: amd64
        Version: 3.0.15-1~deb12u1

        Package: libssl3
        Status: install ok installed
        Architecture: amd64
        Source: openssl
        Version: 3.0.15-1~deb12u1

        Package: libc6
        Status: install ok installed
        Architecture: amd64
        Source: glibc (2.36-9+deb12u3)
        Version: 2.36-9+deb12u3+b1

        Package: libc-bin
        Status: install ok installed
        Architecture: amd64
        Source: glibc (2.36-9+deb12u3)
        Version: 2.36-9+deb12u3+b1

        Package: curl
        Status: deinstall ok config-files
        Architecture: amd64
        Version: 7.88.1-10+deb12u5

        Package: libssh-4
        Status: install ok installed
        Architecture: amd64
        Source: libssh
        Version: 0.10.6-0+deb12u1

        """
}
