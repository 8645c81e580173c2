import Foundation

/// A CSV file as RFC 4180 has it, plus what spreadsheets really write: a UTF-8 byte-order mark,
/// CRLF or LF line ends, quoted fields holding commas, quotes ("") and line breaks, and — from
/// spreadsheets set to a European locale — semicolons instead of commas.
public struct CSVTable: Sendable {
    public struct Record: Sendable {
        /// The line the record starts on, counting the header as line 1.
        public var line: Int
        public var fields: [String]
    }

    public var header: [String]
    public var records: [Record]
    /// `,`, or `;` or a tab when the header line has one of those and no comma.
    public var delimiter: Unicode.Scalar

    public init(text: String) {
        let firstLine = text.prefix { $0 != "\n" && $0 != "\r" }
        delimiter = firstLine.contains(",") ? "," : firstLine.contains(";") ? ";" : firstLine.contains("\t") ? "\t" : ","
        let delimiter = self.delimiter
        var records: [Record] = []
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var line = 1
        var recordLine = 1
        var iterator = text.unicodeScalars.makeIterator()
        var pending = iterator.next()
        if pending == "\u{FEFF}" { pending = iterator.next() }

        func endRecord() {
            fields.append(field)
            field = ""
            // Lines with nothing on them are not records.
            if !(fields.count == 1 && fields[0].isEmpty) {
                records.append(Record(line: recordLine, fields: fields))
            }
            fields = []
        }

        while let scalar = pending {
            pending = iterator.next()
            if inQuotes {
                if scalar == "\"" {
                    if pending == "\"" {
                        field.unicodeScalars.append("\"")
                        pending = iterator.next()
                    } else {
                        inQuotes = false
                    }
                } else {
                    if scalar == "\n" { line += 1 }
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"" where field.isEmpty:
                inQuotes = true
            case delimiter:
                fields.append(field)
                field = ""
            case "\r":
                if pending == "\n" { pending = iterator.next() }
                endRecord()
                line += 1
                recordLine = line
            case "\n":
                endRecord()
                line += 1
                recordLine = line
            default:
                field.unicodeScalars.append(scalar)
            }
        }
        if !field.isEmpty || !fields.isEmpty { endRecord() }

        header = records.first?.fields.map { $0.trimmingCharacters(in: .whitespaces) } ?? []
        self.records = Array(records.dropFirst())
    }
}
