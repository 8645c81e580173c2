import Foundation

/// Base64 with the URL-safe alphabet (`-`, `_`) and no padding, as JWTs use.
public enum Base64URL {
    public static func encode(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Google's web-safe base64 (`photoData`), whose padding may be `=`, `*`, `.` or left out.
    public static func decodeAnyPadding(_ text: String) -> Data? {
        var trimmed = Substring(text.filter { !$0.isWhitespace })
        while let last = trimmed.last, last == "=" || last == "*" || last == "." { trimmed = trimmed.dropLast() }
        return decode(String(trimmed))
    }

    public static func decode(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
