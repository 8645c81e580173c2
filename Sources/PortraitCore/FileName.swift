/// Names that come from people's data (a mail, a UPN) and become file names.
public enum FileName {
    /// One path component that stays inside its folder and is not hidden.
    public static func isSafe(_ name: String) -> Bool {
        !name.isEmpty && !name.contains("/") && !name.hasPrefix(".") && !name.contains("\0")
    }
}
