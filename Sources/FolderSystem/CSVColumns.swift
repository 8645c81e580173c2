import PortraitCore

/// Where a mapping CSV keeps each value; header names are matched without regard to case.
struct CSVColumns {
    var path: Int
    var mail: Int
    var employeeId: Int?
    var userPrincipalName: Int?

    init(header: [String], file: String) throws {
        func column(_ names: String...) -> Int? {
            header.firstIndex { names.contains($0.lowercased()) }
        }
        guard let path = column("path"), let mail = column("mail") else {
            let found = header.isEmpty ? "an empty file" : header.joined(separator: ",")
            throw SystemError(.misconfigured, "\(file): the first line must name the columns path and mail (optional: employeeId, upn); found \(found)")
        }
        self.path = path
        self.mail = mail
        employeeId = column("employeeid", "employee_id")
        userPrincipalName = column("upn", "userprincipalname")
    }

    func values(of fields: [String]) -> (path: String?, keys: MatchKeys) {
        func value(_ index: Int?) -> String? {
            guard let index, index < fields.count else { return nil }
            return fields[index].trimmingCharacters(in: .whitespaces)
        }
        return (value(path), MatchKeys(mail: value(mail), userPrincipalName: value(userPrincipalName), employeeId: value(employeeId)))
    }
}
