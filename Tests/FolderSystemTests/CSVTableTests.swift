import PortraitCore
import Testing

@Suite struct CSVTableTests {
    @Test func readsPlainRows() {
        let table = CSVTable(text: "path,mail\na.jpg,a@x.org\nb.jpg,b@x.org\n")
        #expect(table.header == ["path", "mail"])
        #expect(table.records.map(\.fields) == [["a.jpg", "a@x.org"], ["b.jpg", "b@x.org"]])
        #expect(table.records.map(\.line) == [2, 3])
    }

    @Test func skipsByteOrderMarkAndHandlesCRLF() {
        let table = CSVTable(text: "\u{FEFF}path,mail\r\na.jpg,a@x.org\r\nb.jpg,b@x.org")
        #expect(table.header == ["path", "mail"])
        #expect(table.records.count == 2)
        #expect(table.records[1].fields == ["b.jpg", "b@x.org"])
    }

    @Test func quotedFieldsKeepCommasQuotesAndLineBreaks() {
        let text = "path,mail,note\n\"Smith, Jane.jpg\",jane@x.org,\"said \"\"hi\"\"\"\n\"two\nlines.jpg\",t@x.org,x\nlast.jpg,l@x.org,y\n"
        let table = CSVTable(text: text)
        #expect(table.records.count == 3)
        #expect(table.records[0].fields == ["Smith, Jane.jpg", "jane@x.org", "said \"hi\""])
        #expect(table.records[1].fields[0] == "two\nlines.jpg")
        // Line numbers count the physical lines, so the row after a two-line field is on line 5.
        #expect(table.records.map(\.line) == [2, 3, 5])
    }

    @Test func blankLinesAreNotRecords() {
        let table = CSVTable(text: "path,mail\n\na.jpg,a@x.org\n\n\n")
        #expect(table.records.count == 1)
        #expect(table.records[0].line == 3)
    }

    @Test func emptyFileHasNoHeader() {
        #expect(CSVTable(text: "").header.isEmpty)
    }
}
