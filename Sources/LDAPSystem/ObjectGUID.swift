import Foundation

/// AD's `objectGUID` (16 bytes, the first three fields little-endian) as its canonical string,
/// `3e2fea83-cba8-4fd6-b9f4-44ffca4cdc7b`: what `<GUID=…>` names an entry by for life, renames
/// and moves included.
enum ObjectGUID {
    static func string(_ bytes: Data) -> String? {
        guard bytes.count == 16 else { return nil }
        let b = [UInt8](bytes)
        let order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15]
        let hex = order.map { String(format: "%02x", b[$0]) }
        return [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }.joined(separator: "-")
    }

    /// The DN that names the entry with this GUID.
    static func dn(_ guid: String) -> String { "<GUID=\(guid)>" }
}
