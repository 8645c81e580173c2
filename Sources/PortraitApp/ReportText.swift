import Foundation
import PortraitCore
import PortraitEngine

/// Reports as a person reads them on a terminal.
enum ReportText {
    static func push(_ report: PushReport) -> String {
        var lines: [String] = []
        let rate = report.seconds > 0 ? Double(report.done) / report.seconds : 0
        let who = report.interrupted ? "\(report.done) of \(people(report.people))" : people(report.people)
        lines.append(String(format: "%@ from %@: %@ in %.1f s (%.1f/s)",
                            report.dryRun ? "Dry run — nothing written. Would push" : report.interrupted ? "Interrupted — pushed" : "Pushed",
                            report.source, who, report.seconds, rate))
        lines.append("")
        let header = ["target", report.dryRun ? "would upload" : "uploaded", "unchanged", "skipped", "failed"]
        let rows = report.targetOrder.map { name -> [String] in
            let t = report.targets[name] ?? TargetTally()
            return [name, "\(t.uploaded)", "\(t.unchanged)", "\(t.skipped)", "\(t.failed)"]
        }
        lines += table([header] + rows)
        if report.targetOrder.contains(where: { (report.targets[$0]?.skipped ?? 0) > 0 }) {
            lines.append("(skipped: no photo in \(report.source) for that person)")
        }
        lines.append("")
        let wrote = report.targets.values.contains { $0.uploaded > 0 }
        lines.append(report.dryRun ? "Would write to:" : wrote ? "Written to:" : "Targets:")
        for name in report.targetOrder {
            let profiles = (report.targetProfiles[name] ?? []).map(\.summary).joined(separator: " + ")
            lines.append("  \(name): \(place(report.targetLocations[name] ?? "")) — \(profiles)")
        }
        for name in report.targetOrder {
            let existing = report.targets[name]?.existingReplaced ?? 0
            guard existing > 0 else { continue }
            lines.append("")
            lines.append(report.dryRun
                ? "\(name): \(people(existing)) already \(existing == 1 ? "has" : "have") a photo there that this push would replace."
                : "\(name): replaced the photo \(people(existing)) already had there.")
        }
        for name in report.targetOrder {
            guard let reason = report.unreachable[name] else { continue }
            let missed = report.items.filter { $0.system == name && $0.action == .failed }.count
            lines.append("")
            lines.append("\(name) stopped answering: \(strip(reason, name)) — \(people(missed)) not written there; run the same command again once it answers.")
        }
        lines += section("Failed", report.errors)
        lines += section(report.dryRun ? "Would replace photos changed elsewhere" : "Replaced photos changed elsewhere", report.replaced)
        lines += section(report.dryRun ? "Would restore photos deleted elsewhere" : "Restored photos deleted elsewhere", report.restored)
        lines += section("Warnings", report.warnings)
        if !report.noFace.isEmpty {
            let names = report.noFace.sorted()
            lines += ["", "No face found in \(photos(names.count)), cut at the centre instead: " + names.prefix(10).joined(separator: ", ")
                + (names.count > 10 ? " and \(names.count - 10) more (--json lists them)" : "")]
        }
        if let runId = report.runId {
            lines.append("")
            lines.append("Run \(runId) is in the audit log: portrait log \(runId)")
        }
        return lines.joined(separator: "\n")
    }

    static func pull(_ report: PullEngine.Report, into folder: String) -> String {
        var lines = [String(format: "Pulled from %@ into %@: %@ in %.1f s", report.source, folder, people(report.people), report.seconds), ""]
        lines += table([
            ["system", "downloaded", "unchanged", "without photo", "failed"],
            [report.source, "\(report.downloaded)", "\(report.unchanged)", "\(report.withoutPhoto)", "\(report.failed)"],
        ])
        if let reason = report.unreachable {
            lines += ["", "\(report.source) stopped answering: \(strip(reason, report.source)); run the same command again once it answers."]
        }
        lines += section("Failed", report.errors)
        return lines.joined(separator: "\n")
    }

    static func photoCheck(_ report: PhotoCheck.Report, guidelines: Guidelines) -> String {
        let passed = report.verdicts.count - report.failed
        var lines = ["Checked \(report.verdicts.count) photo\(report.verdicts.count == 1 ? "" : "s"): \(passed) pass, \(report.failed) fall short"
            + (report.withoutPhoto > 0 ? "; \(people(report.withoutPhoto)) without a photo" : ""), ""]
        let share = guidelines.faceShare
        lines.append(String(format: "Guidelines: %d face%@, face %.0f–%.0f%% of the width, at least %d px on the short side, sharpness at least %.0f, brightness at least %.2f.",
                            guidelines.faces, guidelines.faces == 1 ? "" : "s", share.lowerBound * 100, share.upperBound * 100,
                            guidelines.minSide, guidelines.minSharpness, guidelines.minBrightness))
        if !report.verdicts.isEmpty {
            lines.append("")
            lines += table([["photo", "verdict", "faces", "face", "sharpness", "brightness", "size"]] + report.verdicts.map { verdict in
                guard let m = verdict.measures else { return [verdict.subject, "unreadable", "", "", "", "", ""] }
                return [verdict.subject, verdict.ok ? "ok" : "falls short", "\(m.faces.count)",
                        m.faceShare.map { String(format: "%.0f%%", $0 * 100) } ?? "–", String(format: "%.0f", m.sharpness),
                        String(format: "%.2f", m.brightness), "\(m.width)×\(m.height)"]
            })
        }
        let short = report.verdicts.filter { !$0.ok }
        if !short.isEmpty {
            lines += ["", "Falling short (\(short.count)):"] + short.map { "  \($0.subject): \($0.reasons.joined(separator: "; "))" }
        }
        if let reason = report.unreachable {
            lines += ["", "The system stopped answering: \(reason); run the same command again once it answers."]
        }
        return lines.joined(separator: "\n")
    }

    static func sync(_ report: SyncReport) -> String {
        var lines = [String(format: "%@ %@ in %.1f s", report.dryRun ? "Dry run — nothing written. Plan for" : report.interrupted ? "Interrupted — synced" : "Synced",
                            people(report.people), report.seconds), ""]
        let header = ["target", report.dryRun ? "would write" : "written", "unchanged", report.dryRun ? "would delete" : "deleted", "no account", "failed"]
        lines += table([header] + report.targetOrder.map { name in
            let t = report.targets[name] ?? TargetTally()
            return [name, "\(t.uploaded)", "\(t.unchanged)", "\(t.deleted)", "\(t.skipped)", "\(t.failed)"]
        })
        if !report.changes.isEmpty {
            lines += ["", report.dryRun ? "Plan (\(report.changes.count)):" : "Changes (\(report.changes.count)):"]
            for change in report.changes {
                let route = [change.from.map { "from \($0)" }, change.to.isEmpty ? nil : "to \(change.to.joined(separator: ", "))"]
                    .compactMap { $0 }.joined(separator: " ")
                lines.append("  \(change.person): \(change.action.rawValue) \(route) — \(change.reason)")
            }
        } else if report.errors.isEmpty && report.unreachable.isEmpty {
            lines += ["", "Nothing to change: every target shows each person's approved photo."]
        }
        for (source, found) in report.foundAtStart.sorted(by: { $0.key < $1.key }) {
            let photos = found.approved + found.queued
            lines += ["", "First sync of \(source): \(photos) photo\(photos == 1 ? " was" : "s were") already there (nobody approved \(photos == 1 ? "it" : "them") in Portrait)" + (found.queued == 0
                ? "; \(report.dryRun ? "would be " : "")taken as approved (existing = \"approve\"; existing = \"queue\" has a person approve each)."
                : "; \(found.queued) \(report.dryRun ? "would wait" : "wait") for approval (existing = \"queue\"), and meanwhile \(found.queued == 1 ? "that person gets" : "those people get") the next photo in precedence elsewhere.")]
        }
        if report.waiting > 0 {
            lines += ["", "\(report.waiting) photo\(report.waiting == 1 ? "" : "s") waiting for approval\(report.queued > 0 ? " (\(report.queued) new)" : ""): portrait queue"]
        }
        for name in report.targetOrder + report.unreachable.keys.filter({ !report.targetOrder.contains($0) }).sorted() {
            guard let reason = report.unreachable[name] else { continue }
            lines += ["", "\(name) could not be reached: \(strip(reason, name)) — its people were left as they are; run sync again once it answers."]
        }
        lines += section("Failed", report.errors)
        lines += section("Warnings", report.warnings)
        if let runId = report.runId {
            lines += ["", "Run \(runId) is in the audit log: portrait log \(runId)"]
        }
        return lines.joined(separator: "\n")
    }

    /// A system's location as a person reads it: "folder /srv/photos", "Microsoft Graph tenant …".
    static func place(_ location: String) -> String {
        let known = ["folder:": "folder ", "graph:": "Microsoft Graph tenant ", "google:": "Google Workspace "]
        for (prefix, said) in known where location.hasPrefix(prefix) { return said + location.dropFirst(prefix.count) }
        return location
    }

    /// "1 person", "2 people".
    static func people(_ count: Int) -> String { count == 1 ? "1 person" : "\(count) people" }

    static func photos(_ count: Int) -> String { count == 1 ? "1 photo" : "\(count) photos" }

    static func section(_ title: String, _ problems: [ReportedProblem]) -> [String] {
        guard !problems.isEmpty else { return [] }
        return ["", "\(title) (\(problems.count)):"] + problems.map { problem in
            let message = strip(strip(problem.message, problem.system), problem.person)
            if problem.person.isEmpty { return "  \(problem.system): \(message)" }
            return problem.system.isEmpty ? "  \(problem.person): \(message)" : "  \(problem.person) → \(problem.system): \(message)"
        }
    }

    /// A message without the name its line already starts with ("hr: hr: …" reads as "hr: …").
    static func strip(_ message: String, _ name: String) -> String {
        message.hasPrefix(name + ": ") ? String(message.dropFirst(name.count + 2)) : message
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
