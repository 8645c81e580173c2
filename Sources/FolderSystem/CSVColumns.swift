import PortraitCore

/// Where a mapping CSV keeps each value; header names are matched without regard to case.
struct CSVColumns {
    var path: Int
    var mail: Int?
    var employeeId: Int?
    var userPrincipalName: Int?
    var accountName: Int?
    /// Columns Portrait does not read (a name, a class), noted once.
    var unused: [String]

    init(header: [String], file: String) throws {
        func column(_ names: String...) -> Int? {
            header.firstIndex { names.contains($0.lowercased()) }
        }
        mail = column("mail", "email", "e-mail")
        employeeId = column("employeeid", "employee_id")
        userPrincipalName = column("upn", "userprincipalname")
        accountName = column("samaccountname", "username")
        guard let path = column("path"), mail != nil || employeeId != nil || userPrincipalName != nil || accountName != nil else {
            let found = header.isEmpty ? "an empty file" : header.joined(separator: ",")
            throw SystemError(.misconfigured, "\(file): the first line must name the columns: path, and mail, upn, employeeId or sAMAccountName (any of them); found \(found)")
        }
        self.path = path
        let used = [path, mail, employeeId, userPrincipalName, accountName].compactMap { $0 }
        unused = header.enumerated().filter { !used.contains($0.offset) && !$0.element.isEmpty }.map(\.element)
    }

    func values(of fields: [String]) -> (path: String?, keys: MatchKeys, mail: String?) {
        func value(_ index: Int?) -> String? {
            guard let index, index < fields.count else { return nil }
            return fields[index].trimmingCharacters(in: .whitespaces)
        }
        return (value(path), MatchKeys(mail: value(mail), userPrincipalName: value(userPrincipalName), employeeId: value(employeeId),
                                         accountName: value(accountName)), value(mail))
    }
}
