import Foundation

/// Whether a host is this machine, where plain http cannot be overheard: an IPv4 literal in
/// 127.0.0.0/8, `::1`, or `localhost` — never a name that merely starts with "127.".
public enum Loopback {
    public static func isLoopback(host: String) -> Bool {
        let host = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        let values = octets.compactMap { octet -> Int? in
            guard (1...3).contains(octet.count), octet.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int(octet).flatMap { $0 <= 255 ? $0 : nil }
        }
        return octets.count == 4 && values.count == 4 && values[0] == 127
    }
}
