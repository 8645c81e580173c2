import Foundation
import PortraitCore
import PortraitEngine
import PortraitImaging
import PortraitStore

/// `portrait status --html`: one page that needs nothing beside it (styles and photos inlined) to
/// be read offline, mailed or printed — the summary, then a contact sheet of every person whose
/// systems disagree, the approved photo beside what each system shows.
struct StatusPage {
    let status: SyncStatus
    let store: Store
    let pipeline: ImagePipeline

    /// Thumbnails are rendered from the kept masters, small enough that a page of hundreds of
    /// people stays a few megabytes.
    static let thumbnailSide = 160

    func html(at date: Date) -> String {
        var thumbnails: [String: String] = [:]
        func image(_ sha: String, alt: String) -> String {
            if thumbnails[sha] == nil {
                thumbnails[sha] = (try? thumbnail(sha)).map { "data:image/jpeg;base64," + $0.base64EncodedString() } ?? ""
            }
            guard let source = thumbnails[sha], !source.isEmpty else {
                return "<div class=\"empty\">photo \(escape(String(sha.prefix(12)))) is missing from the store</div>"
            }
            return "<img src=\"\(source)\" alt=\"\(escape(alt))\" width=\"120\" height=\"120\">"
        }

        var page = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Portrait status, \(escape(LogCommand.time(date)))</title>
            <style>\(Self.style)</style>
            </head>
            <body>
            <h1>Portrait status</h1>
            <p>Written \(escape(LogCommand.time(date))), from what the last sync saw (no system was asked anything). \
            \(escape(status.lastRun.map { "Last sync: " + LogCommand.line($0) } ?? "No sync has run yet."))</p>
            <h2>Summary</h2>
            <p>\(escape(ReportText.people(status.peopleWithApproved))) with an approved photo; \
            \(status.waiting) waiting for approval.</p>
            <table>
            <thead><tr><th scope="col">System</th><th scope="col">People</th><th scope="col">With a photo</th>\
            <th scope="col">Showing the approved photo</th><th scope="col">Showing another</th><th scope="col">Without one</th>\
            <th scope="col">Too small</th><th scope="col">Not seen yet</th></tr></thead>
            <tbody>

            """
        for system in status.systems {
            let cells = [system.people, system.withPhoto, system.showingApproved, system.showingOther, system.withoutPhoto,
                         system.tooSmall, system.unknown].map { "<td>\($0)</td>" }.joined()
            page += "<tr><th scope=\"row\">\(escape(system.name))</th>\(cells)</tr>\n"
        }
        page += "</tbody>\n</table>\n"
        page += "<h2>People whose systems disagree (\(status.disagreeing.count))</h2>\n"
        if status.disagreeing.isEmpty {
            page += "<p>Every system shows each person's approved photo.</p>\n"
        }
        for person in status.disagreeing {
            page += "<section class=\"person\">\n<h3>\(escape(person.label))</h3>\n<ul>\n"
            if let approved = person.approved {
                page += figure(image(approved, alt: "approved photo of \(person.label)"), caption: "<strong>approved</strong>", kind: "approved")
            } else {
                page += figure("<div class=\"empty\">none</div>", caption: "<strong>no approved photo</strong>", kind: "none")
            }
            if let waiting = person.waiting {
                let caption = "waiting, from \(escape(waiting.source))" + (waiting.reason.map { ": " + escape($0) } ?? "")
                page += figure(image(waiting.sha256, alt: "photo of \(person.label) waiting for approval"), caption: caption, kind: "waiting")
            }
            for (system, shown) in person.shows {
                switch shown {
                case .photo(let sha) where sha == person.approved:
                    page += figure(image(sha, alt: "\(system)'s photo of \(person.label)"), caption: "\(escape(system)): the approved photo", kind: "same")
                case .photo(let sha) where !status.targets.contains(system):
                    page += figure(image(sha, alt: "\(system)'s photo of \(person.label)"), caption: "\(escape(system)) (a source): another photo", kind: "source")
                case .photo(let sha):
                    page += figure(image(sha, alt: "\(system)'s photo of \(person.label)"), caption: "\(escape(system)): another photo", kind: "other")
                case .none:
                    page += figure("<div class=\"empty\">no photo</div>", caption: "\(escape(system)): no photo", kind: "other")
                case .notSeen:
                    page += figure("<div class=\"empty\">not seen yet</div>", caption: "\(escape(system)): not seen yet", kind: "none")
                }
            }
            page += "</ul>\n</section>\n"
        }
        page += "</body>\n</html>\n"
        return page
    }

    private func figure(_ content: String, caption: String, kind: String) -> String {
        "<li class=\"\(kind)\"><figure>\(content)<figcaption>\(caption)</figcaption></figure></li>\n"
    }

    private func thumbnail(_ sha: String) throws -> Data {
        let master = try store.photos.get(sha)
        let photo = Photo(bytes: master, version: sha, origin: "photo \(sha.prefix(12))")
        return try pipeline.render(photo, profiles: [RenditionProfile(side: Self.thumbnailSide)]).renditions[0].bytes
    }

    /// Text for HTML element content and attribute values.
    private func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    private static let style = """
        body { font: 15px/1.4 system-ui, sans-serif; color: #1d1d1f; margin: 2rem auto; max-width: 64rem; padding: 0 1rem; }
        table { border-collapse: collapse; margin: 1rem 0; }
        th, td { padding: .3rem .7rem; border-bottom: 1px solid #ccc; text-align: right; }
        th[scope=row], thead th:first-child { text-align: left; }
        .person { break-inside: avoid; border-top: 1px solid #ccc; padding: .5rem 0; }
        .person h3 { margin: .2rem 0; font-size: 1rem; }
        .person ul { list-style: none; display: flex; flex-wrap: wrap; gap: 1rem; padding: 0; margin: 0; }
        figure { margin: 0; width: 120px; }
        figcaption { font-size: .8rem; margin-top: .2rem; }
        img, .empty { width: 120px; height: 120px; display: block; border: 3px solid transparent; }
        .empty { box-sizing: border-box; border: 1px dashed #888; display: flex; align-items: center; justify-content: center;
                 text-align: center; font-size: .8rem; color: #555; }
        .approved img { border-color: #2e7d32; }
        .waiting img { border-color: #b26a00; }
        .other img { border-color: #c62828; }
        @media print { body { margin: 0; max-width: none; } }
        """
}
