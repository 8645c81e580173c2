/// Text from a request (or a person's name from another system) made safe for one log line:
/// control characters — a line break that would forge a line, a terminal escape — are shown
/// escaped, and a long text is cut.
enum LogText {
    static let limit = 200

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars.prefix(limit) {
            if scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}" {
                out += scalar.escaped(asASCII: true)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out + (text.unicodeScalars.count > limit ? "…\"" : "\"")
    }
}
