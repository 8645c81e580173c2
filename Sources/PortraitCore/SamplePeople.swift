/// The people of Portrait's examples: `portrait samples` names its photos after them and
/// `portrait sandbox` seeds its tenant with them, so the demo's folder matches the demo's tenant.
public enum SamplePeople {
    static let firstNames = ["ada", "alan", "grace", "edsger", "barbara", "donald", "frances", "ken", "margaret", "dennis",
                             "radia", "tim", "shafi", "john", "lynn", "niklaus", "sophie", "leslie", "anita", "vint"]
    static let lastNames = ["lovelace", "turing", "hopper", "dijkstra", "liskov", "knuth", "allen", "thompson", "hamilton",
                            "ritchie", "perlman", "lee", "goldwasser", "backus", "conway", "wirth", "wilson", "lamport", "borg", "cerf"]

    /// A unique mail for every index: first.last, numbered after the first twenty.
    public static func mail(_ index: Int, domain: String) -> String {
        let first = firstNames[index % firstNames.count]
        let last = lastNames[(index / firstNames.count + index * 7) % lastNames.count]
        return "\(first).\(last)\(index >= firstNames.count ? String(index) : "")@\(domain)"
    }

    public static func employeeId(_ index: Int) -> String { "E\(1000 + index)" }
}
