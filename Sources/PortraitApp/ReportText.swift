import Foundation
import PortraitEngine

/// Reports as a person reads them on a terminal.
enum ReportText {
    static func push(_ report: PushReport) -> String {
        var lines: [String] = []
        let rate = report.seconds > 0 ? Double(report.people) / report.seconds : 0
        lines.append(String(format: "%@ from %@: %d people in %.1f s (%.1f/s)",
                            report.dryRun ? "Dry run — nothing written. Would push" : "Pushed",
                            report.source, report.people, report.seconds, rate))
        lines.append("")
        let header = ["target", report.dryRun ? "would upload" : "uploaded", "unchanged", "skipped", "failed"]
        let rows = report.targetOrder.map { name -> [String] in
            let t = report.targets[name] ?? TargetTally()
            return [name, "\(t.uploaded)", "\(t.unchanged)", "\(t.skipped)", "\(t.failed)"]
        }
        lines += table([header] + rows)
        lines += section("Failed", report.errors)
        lines += section(report.dryRun ? "Would replace photos changed elsewhere" : "Replaced photos changed elsewhere", report.replaced)
        lines += section("Warnings", report.warnings)
        if let runId = report.runId {
            lines.append("")
            lines.append("Run \(runId) is in the audit log.")
        }
        return lines.joined(separator: "\n")
    }

    static func pull(_ report: PullEngine.Report, into folder: String) -> String {
        var lines = [String(format: "Pulled from %@ into %@: %d people in %.1f s", report.source, folder, report.people, report.seconds), ""]
        lines += table([
            ["system", "downloaded", "unchanged", "without photo", "failed"],
            [report.source, "\(report.downloaded)", "\(report.unchanged)", "\(report.withoutPhoto)", "\(report.failed)"],
        ])
        lines += section("Failed", report.errors)
        return lines.joined(separator: "\n")
    }

    static func section(_ title: String, _ problems: [ReportedProblem]) -> [String] {
        guard !problems.isEmpty else { return [] }
        return ["", "\(title) (\(problems.count)):"] + problems.map { "  \($0.person) → \($0.system): \($0.message)" }
    }

    /// Left-aligned first column, right-aligned numbers.
    static func table(_ rows: [[String]]) -> [String] {
        guard let columns = rows.first?.count else { return [] }
        let widths = (0..<columns).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + pad : pad + cell
            }.joined(separator: "   ")
        }
    }
}
