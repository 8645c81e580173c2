import Mustache

// What each page model gives its templates, by name: Mustache asks `child(named:)` rather than
// reflecting (see `Pages`). A field a template uses must be listed here.

extension Frame: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "visitor": self.visitor
        case "csrf": self.csrf
        case "onQueue": self.onQueue
        case "onPeople": self.onPeople
        case "onCoverage": self.onCoverage
        case "onRuns": self.onRuns
        case "onSystems": self.onSystems
        default: nil
        }
    }
}

extension Frame.SignedIn: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "role": self.role
        default: nil
        }
    }
}

extension MessagePage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "frame": self.frame
        case "heading": self.heading
        case "text": self.text
        case "link": self.link
        case "linkText": self.linkText
        default: nil
        }
    }
}

extension SignInPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "frame": self.frame
        case "name": self.name
        case "next": self.next
        case "problem": self.problem
        case "hasProblem": self.hasProblem
        case "provider": self.provider
        case "hasProvider": self.hasProvider
        case "providerLink": self.providerLink
        default: nil
        }
    }
}

extension QueuePage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "frame": self.frame
        case "items": self.items
        case "count": self.count
        case "hasItems": self.hasItems
        case "mayDecide": self.mayDecide
        case "notice": self.notice
        case "hasNotice": self.hasNotice
        case "problem": self.problem
        case "hasProblem": self.hasProblem
        case "reason": self.reason
        default: nil
        }
    }
}

extension QueuePage.Item: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "personId": self.personId
        case "person": self.person
        case "source": self.source
        case "firstSeen": self.firstSeen
        case "reason": self.reason
        case "photo": self.photo
        case "approvedPhoto": self.approvedPhoto
        case "hasApproved": self.hasApproved
        case "ticked": self.ticked
        case "shows": self.shows
        case "hasShows": self.hasShows
        default: nil
        }
    }
}

extension QueuePage.ShownCell: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "system": self.system
        case "cell": self.cell
        default: nil
        }
    }
}

extension PhotoCell: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "hasPhoto": self.hasPhoto
        case "photo": self.photo
        case "alt": self.alt
        case "absent": self.absent
        default: nil
        }
    }
}

extension CoveragePage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "frame": self.frame
        case "hasPolicy": self.hasPolicy
        case "approvedPeople": self.approvedPeople
        case "waiting": self.waiting
        case "lastSync": self.lastSync
        case "systems": self.systems
        case "systemNames": self.systemNames
        case "disagreeing": self.disagreeing
        case "disagreeingCount": self.disagreeingCount
        case "hasDisagreeing": self.hasDisagreeing
        case "shownCount": self.shownCount
        case "truncated": self.truncated
        default: nil
        }
    }
}

extension CoveragePage.Person: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": self.id
        case "label": self.label
        case "cells": self.cells
        default: nil
        }
    }
}

extension CoveragePage.SystemRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "people": self.people
        case "withPhoto": self.withPhoto
        case "showingApproved": self.showingApproved
        case "showingOther": self.showingOther
        case "withoutPhoto": self.withoutPhoto
        case "tooSmall": self.tooSmall
        case "unknown": self.unknown
        default: nil
        }
    }
}

extension RunsPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "frame": self.frame
        case "runs": self.runs
        case "hasRuns": self.hasRuns
        case "notice": self.notice
        case "hasNotice": self.hasNotice
        case "canSync": self.canSync
        case "live": self.live
        case "last": self.last
        case "hasLast": self.hasLast
        case "mayDecide": self.mayDecide
        default: nil
        }
    }
}

extension RunsPage.Run: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": self.id
        case "command": self.command
        case "started": self.started
        case "took": self.took
        case "outcome": self.outcome
        case "summary": self.summary
        default: nil
        }
    }
}

extension PeoplePage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "frame": self.frame
        case "query": self.query
        case "searched": self.searched
        case "found": self.found
        case "hasFound": self.hasFound
        case "truncated": self.truncated
        case "limit": self.limit
        default: nil
        }
    }
}

extension PeoplePage.Found: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": self.id
        case "label": self.label
        default: nil
        }
    }
}

extension PersonPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "frame": self.frame
        case "id": self.id
        case "label": self.label
        case "notice": self.notice
        case "photos": self.photos
        case "hasPhotos": self.hasPhotos
        case "entries": self.entries
        case "hasEntries": self.hasEntries
        case "reopenable": self.reopenable
        case "hasNotice": self.hasNotice
        case "canReopen": self.canReopen
        default: nil
        }
    }
}

extension PersonPage.Photo: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "sha256": self.sha256
        case "status": self.status
        case "source": self.source
        case "firstSeen": self.firstSeen
        case "decision": self.decision
        case "hasDecision": self.hasDecision
        default: nil
        }
    }
}

extension PersonPage.Entry: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "at": self.at
        case "action": self.action
        case "system": self.system
        case "detail": self.detail
        default: nil
        }
    }
}

extension SystemsPage: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "frame": self.frame
        case "rows": self.rows
        case "hasRows": self.hasRows
        case "checked": self.checked
        case "running": self.running
        case "canCheck": self.canCheck
        case "notice": self.notice
        case "hasNotice": self.hasNotice
        default: nil
        }
    }
}

extension SystemsPage.Row: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "location": self.location
        case "role": self.role
        case "ok": self.ok
        case "state": self.state
        case "problems": self.problems
        case "hasProblems": self.hasProblems
        case "more": self.more
        case "throttle": self.throttle
        default: nil
        }
    }
}
