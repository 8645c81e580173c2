/// The console's templates and style sheet, compiled into the binary: an installed `portrait`
/// finds them wherever it runs. Mustache escapes every `{{value}}`; no template uses `{{{…}}}`.
enum Templates {
    static let all: [String: String] = [
        "layout": layout,
        "signin": signIn,
        "queue": queue,
        "message": message,
        "coverage": coverage,
        "runs": runs,
        "people": people,
        "person": person,
        "systems": systems,
    ]

    static let layout = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{$title}}Portrait{{/title}} · Portrait</title>
        <link rel="stylesheet" href="/console.css">
        <script src="/console.js" defer></script>
        </head>
        <body>
        <header>
          <a class="brand" href="/">Portrait</a>
          {{#frame}}{{#visitor}}
          <nav aria-label="Pages">
            <a href="/queue"{{#onQueue}} aria-current="page"{{/onQueue}}>Queue</a>
            <a href="/people"{{#onPeople}} aria-current="page"{{/onPeople}}>People</a>
            <a href="/coverage"{{#onCoverage}} aria-current="page"{{/onCoverage}}>Coverage</a>
            <a href="/runs"{{#onRuns}} aria-current="page"{{/onRuns}}>Runs</a>
            <a href="/systems"{{#onSystems}} aria-current="page"{{/onSystems}}>Systems</a>
          </nav>
          <form class="signout" method="post" action="/logout">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <span>{{name}} ({{role}})</span>
            <button type="submit">Sign out</button>
          </form>
          {{/visitor}}{{/frame}}
        </header>
        <main>
        {{$content}}{{/content}}
        </main>
        </body>
        </html>
        """

    static let signIn = """
        {{<layout}}
        {{$title}}Sign in{{/title}}
        {{$content}}
        <h1>Sign in</h1>
        {{#hasProblem}}<p class="problem" role="alert">{{problem}}</p>{{/hasProblem}}
        {{#hasProvider}}
        <p class="signin"><a class="button" id="provider" href="{{providerLink}}">Sign in with {{provider}}</a></p>
        <p>You are sent to {{provider}} to sign in with your organisation account, then back here.</p>
        {{/hasProvider}}
        {{^hasProvider}}
        <form class="signin" method="post" action="/login">
          <input type="hidden" name="next" value="{{next}}">
          <label for="name">Name</label>
          <input id="name" name="name" autocomplete="username" required value="{{name}}" autofocus>
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required>
          <button type="submit">Sign in</button>
        </form>
        {{/hasProvider}}
        {{/content}}
        {{/layout}}
        """

    static let queue = """
        {{<layout}}
        {{$title}}Queue{{/title}}
        {{$content}}
        <h1>Waiting for approval <span class="count">{{count}}</span></h1>
        {{#hasNotice}}<p class="notice" role="status">{{notice}}</p>{{/hasNotice}}
        {{#hasProblem}}<p class="problem" role="alert">{{problem}}</p>{{/hasProblem}}
        {{^hasItems}}<p>Nothing waits for approval.</p>{{/hasItems}}
        {{#hasItems}}
        <form method="post" action="/queue/decide">
          <input type="hidden" name="csrf" value="{{frame.csrf}}">
          <ul class="queue">
          {{#items}}
            <li>
              {{#mayDecide}}<input type="checkbox" id="p{{personId}}" name="person" value="{{personId}}"{{#ticked}} checked{{/ticked}}>{{/mayDecide}}
              <label for="p{{personId}}" class="who">{{person}}</label>
              <p class="why">From {{source}}, first seen {{firstSeen}}: {{reason}}</p>
              <div class="pair">
                <figure><img src="/photos/{{photo}}" alt="Waiting photo of {{person}}" width="160" height="160" loading="lazy"><figcaption>Waiting</figcaption></figure>
                <figure>{{#hasApproved}}<img src="/photos/{{approvedPhoto}}" alt="Approved photo of {{person}}" width="160" height="160" loading="lazy">{{/hasApproved}}{{^hasApproved}}<span class="none">none yet</span>{{/hasApproved}}<figcaption>Approved now</figcaption></figure>
              </div>
              {{#hasShows}}<p class="why">Each system shows now (as of the last sync):</p><div class="shows">{{#shows}}<figure>{{#cell}}\(shown){{/cell}}<figcaption>{{system}}</figcaption></figure>{{/shows}}</div>{{/hasShows}}
            </li>
          {{/items}}
          </ul>
          {{#mayDecide}}
          <fieldset class="decide">
            <legend>Decide on the selected photos</legend>
            <label for="reason">Reason (needed to reject; recorded either way)</label>
            <input id="reason" name="reason" maxlength="500" value="{{reason}}">
            <button type="submit" name="verdict" value="approved">Approve selected</button>
            <button type="submit" name="verdict" value="rejected">Reject selected</button>
          </fieldset>
          {{/mayDecide}}
        </form>
        {{/hasItems}}
        {{/content}}
        {{/layout}}
        """

    /// A photo cell: a kept photo by hash, or a word for its absence.
    private static let shown = """
        {{#hasPhoto}}<img src="/photos/{{photo}}" alt="{{alt}}" width="96" height="96" loading="lazy">{{/hasPhoto}}{{^hasPhoto}}<span class="none small">{{absent}}</span>{{/hasPhoto}}
        """

    static let coverage = """
        {{<layout}}
        {{$title}}Coverage{{/title}}
        {{$content}}
        <h1>Coverage</h1>
        {{^hasPolicy}}<p class="problem">portrait.toml has no [sync] table: coverage is what sync keeps, and nothing is synced.</p>{{/hasPolicy}}
        {{#hasPolicy}}
        <p>{{approvedPeople}} people with an approved photo; <a href="/queue">{{waiting}} waiting for approval</a>. {{lastSync}}</p>
        <div class="scroll">
        <table>
          <caption>What each system shows, as of the last sync</caption>
          <thead><tr><th scope="col">System</th><th scope="col">People</th><th scope="col">With photo</th><th scope="col">Approved photo</th><th scope="col">Another</th><th scope="col">None</th><th scope="col">Too small</th><th scope="col">Not seen</th></tr></thead>
          <tbody>
          {{#systems}}<tr><th scope="row">{{name}}</th><td>{{people}}</td><td>{{withPhoto}}</td><td>{{showingApproved}}</td><td>{{showingOther}}</td><td>{{withoutPhoto}}</td><td>{{tooSmall}}</td><td>{{unknown}}</td></tr>{{/systems}}
          </tbody>
        </table>
        </div>
        <h2>People whose systems disagree <span class="count">{{disagreeingCount}}</span></h2>
        {{^hasDisagreeing}}<p>Every target shows each person's approved photo, and no photo waits. (A source may still show another: a photo that was rejected, or not taken up.)</p>{{/hasDisagreeing}}
        {{#hasDisagreeing}}
        {{#truncated}}<p>The first {{shownCount}} by name; search for anyone on <a href="/people">People</a>.</p>{{/truncated}}
        <div class="scroll">
        <table class="sheet">
          <thead><tr><th scope="col">Person</th><th scope="col">Approved</th><th scope="col">Waiting</th>{{#systemNames}}<th scope="col">{{.}}</th>{{/systemNames}}</tr></thead>
          <tbody>
          {{#disagreeing}}<tr><th scope="row"><a href="/people/{{id}}">{{label}}</a></th>{{#cells}}<td>\(shown)</td>{{/cells}}</tr>
          {{/disagreeing}}
          </tbody>
        </table>
        </div>
        {{/hasDisagreeing}}
        {{/hasPolicy}}
        {{/content}}
        {{/layout}}
        """

    static let runs = """
        {{<layout}}
        {{$title}}Runs{{/title}}
        {{$content}}
        <h1>Runs</h1>
        {{#hasNotice}}<p class="notice" role="status">{{notice}}</p>{{/hasNotice}}
        {{#canSync}}
        <section class="now" aria-label="Current sync">
          <p id="live" aria-live="polite">{{live}}</p>
          {{#hasLast}}<p>Last sync from this console: {{last}}</p>{{/hasLast}}
          {{#mayDecide}}
          <form method="post" action="/runs/sync">
            <input type="hidden" name="csrf" value="{{frame.csrf}}">
            <button type="submit">Sync now</button>
          </form>
          {{/mayDecide}}
        </section>
        {{/canSync}}
        {{^hasRuns}}<p>Nothing has run yet.</p>{{/hasRuns}}
        {{#hasRuns}}
        <div class="scroll">
        <table>
          <thead><tr><th scope="col">Run</th><th scope="col">Command</th><th scope="col">Started</th><th scope="col">Took</th><th scope="col">Outcome</th><th scope="col">Summary</th></tr></thead>
          <tbody>
          {{#runs}}<tr><td>{{id}}</td><td>{{command}}</td><td>{{started}}</td><td>{{took}}</td><td class="outcome-{{outcome}}">{{outcome}}</td><td>{{summary}}</td></tr>
          {{/runs}}
          </tbody>
        </table>
        </div>
        {{/hasRuns}}
        {{/content}}
        {{/layout}}
        """

    static let systems = """
        {{<layout}}
        {{$title}}Systems{{/title}}
        {{$content}}
        <h1>Systems</h1>
        {{#hasNotice}}<p class="notice" role="status">{{notice}}</p>{{/hasNotice}}
        <section class="now" aria-label="Check">
          {{#running}}<p aria-live="polite">Checking every system now (each one's people are listed); reload in a moment.</p>{{/running}}
          {{^running}}<p>{{checked}}{{^hasRows}}Not checked yet. {{/hasRows}}As <code>portrait check</code> does: each system reached and its people listed. Settings stay in portrait.toml.</p>{{/running}}
          {{#canCheck}}
          <form method="post" action="/systems/check">
            <input type="hidden" name="csrf" value="{{frame.csrf}}">
            <button type="submit">Check again</button>
          </form>
          {{/canCheck}}
        </section>
        {{#hasRows}}
        <div class="scroll">
        <table>
          <thead><tr><th scope="col">System</th><th scope="col">Where</th><th scope="col">In [sync]</th><th scope="col">Check</th><th scope="col">Throttling</th></tr></thead>
          <tbody>
          {{#rows}}<tr><th scope="row">{{name}}</th><td>{{location}}</td><td>{{role}}</td>
            <td class="{{^ok}}outcome-failed{{/ok}}">{{state}}{{#hasProblems}}<ul class="problems">{{#problems}}<li>{{.}}</li>{{/problems}}</ul>{{/hasProblems}}{{more}}</td>
            <td>{{throttle}}</td></tr>
          {{/rows}}
          </tbody>
        </table>
        </div>
        {{/hasRows}}
        {{/content}}
        {{/layout}}
        """

    static let people = """
        {{<layout}}
        {{$title}}People{{/title}}
        {{$content}}
        <h1>People</h1>
        <form class="search" method="get" action="/people" role="search">
          <label for="q">Mail, UPN, employee id or logon name (or part of one)</label>
          <input id="q" name="q" value="{{query}}" autofocus>
          <button type="submit">Search</button>
        </form>
        {{#searched}}
        {{^hasFound}}<p>Nobody matches “{{query}}”.</p>{{/hasFound}}
        <ul class="found">{{#found}}<li><a href="/people/{{id}}">{{label}}</a></li>{{/found}}</ul>
        {{#truncated}}<p>The first {{limit}} matches; type more to narrow them.</p>{{/truncated}}
        {{/searched}}
        {{/content}}
        {{/layout}}
        """

    static let person = """
        {{<layout}}
        {{$title}}{{label}}{{/title}}
        {{$content}}
        <h1>{{label}}</h1>
        {{#hasNotice}}<p class="notice" role="status">{{notice}}</p>{{/hasNotice}}
        <h2>Photos</h2>
        {{^hasPhotos}}<p>Portrait keeps no photo of this person yet.</p>{{/hasPhotos}}
        <ul class="photos">
        {{#photos}}<li><figure><img src="/photos/{{sha256}}" alt="{{status}} photo" width="160" height="160" loading="lazy"><figcaption><strong>{{status}}</strong> — from {{source}}, first seen {{firstSeen}}{{#hasDecision}}; {{decision}}{{/hasDecision}}</figcaption></figure></li>
        {{/photos}}
        </ul>
        {{#canReopen}}<form method="post" action="/people/{{id}}/reopen">
          <input type="hidden" name="csrf" value="{{#frame}}{{csrf}}{{/frame}}">
          <p>{{reopenable}}</p>
          <button type="submit">Reopen the decision</button>
        </form>{{/canReopen}}
        <h2>History</h2>
        {{^hasEntries}}<p>Nothing recorded yet.</p>{{/hasEntries}}
        {{#hasEntries}}
        <div class="scroll">
        <table>
          <thead><tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">System</th><th scope="col">Detail</th></tr></thead>
          <tbody>
          {{#entries}}<tr><td>{{at}}</td><td>{{action}}</td><td>{{system}}</td><td>{{detail}}</td></tr>
          {{/entries}}
          </tbody>
        </table>
        </div>
        {{/hasEntries}}
        {{/content}}
        {{/layout}}
        """

    static let message = """
        {{<layout}}
        {{$title}}{{heading}}{{/title}}
        {{$content}}
        <h1>{{heading}}</h1>
        <p>{{text}}</p>
        <p><a href="{{link}}">{{linkText}}</a></p>
        {{/content}}
        {{/layout}}
        """

    /// The one live part: the Runs page's progress line, from `/runs/live` (server-sent events);
    /// the page reloads when the run ends, to show it in the table.
    static let script = """
        "use strict";
        document.addEventListener("DOMContentLoaded", () => {
          const live = document.getElementById("live");
          if (!live || !window.EventSource) return;
          const source = new EventSource("/runs/live");
          let sawRunning = false;
          source.onmessage = (event) => {
            const state = JSON.parse(event.data);
            live.textContent = state.text;
            if (state.running) sawRunning = true;
            else { source.close(); if (sawRunning) location.reload(); }
          };
          source.onerror = () => source.close();
        });
        """

    static let css = """
        :root { color-scheme: light dark; --accent: #0b5cad; --line: #8884; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.5 system-ui, sans-serif; }
        header { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; padding: .5rem 1rem; border-bottom: 1px solid var(--line); }
        .brand { font-weight: 700; text-decoration: none; color: inherit; }
        nav a { margin-right: .75rem; }
        nav a[aria-current] { font-weight: 700; }
        .signout { margin-left: auto; display: flex; gap: .5rem; align-items: center; }
        main { padding: 1rem; max-width: 70rem; }
        a { color: var(--accent); }
        a:focus, button:focus, input:focus { outline: 3px solid var(--accent); outline-offset: 2px; }
        button, .button { font: inherit; padding: .35rem .9rem; cursor: pointer; }
        .button { display: inline-block; border: 1px solid var(--accent); border-radius: 4px; text-decoration: none; }
        input { font: inherit; padding: .3rem; }
        .signin { display: grid; gap: .4rem; max-width: 20rem; }
        .problem { border-left: 4px solid #c62828; padding: .3rem .6rem; }
        .notice { border-left: 4px solid #2e7d32; padding: .3rem .6rem; }
        .count { font-weight: 400; color: #888; }
        .queue { list-style: none; padding: 0; display: grid; gap: 1rem; grid-template-columns: repeat(auto-fill, minmax(22rem, 1fr)); }
        .queue li { border: 1px solid var(--line); border-radius: 6px; padding: .75rem; }
        .who { font-weight: 700; }
        .why { margin: .25rem 0 .5rem; font-size: .9rem; }
        .pair { display: flex; gap: .75rem; }
        .shows { display: flex; flex-wrap: wrap; gap: .5rem; margin-top: .5rem; }
        .shows img, .shows .none { width: 64px; height: 64px; line-height: 64px; font-size: .75rem; }
        figure { margin: 0; text-align: center; font-size: .85rem; }
        figure img, .none { display: block; width: 160px; height: 160px; object-fit: cover; border-radius: 4px; background: #8882; }
        .none { line-height: 160px; }
        .decide { position: sticky; bottom: 0; background: Canvas; border: 1px solid var(--line); display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
        .decide label { flex-basis: 100%; }
        .decide input { flex: 1 1 16rem; }
        .scroll { overflow-x: auto; }
        table { border-collapse: collapse; margin: .5rem 0 1rem; }
        th, td { border-bottom: 1px solid var(--line); padding: .3rem .6rem; text-align: left; vertical-align: middle; }
        caption { text-align: left; font-weight: 600; padding: .3rem 0; }
        .sheet img, .small { width: 96px; height: 96px; }
        .small { line-height: 96px; font-size: .8rem; }
        .outcome-failed, .outcome-killed { color: #c62828; }
        .outcome-partial { color: #b26a00; }
        .now { border: 1px solid var(--line); border-radius: 6px; padding: .5rem 1rem; margin-bottom: 1rem; }
        .search { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
        .search label { flex-basis: 100%; }
        .photos { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 1rem; }
        .photos figure { max-width: 14rem; text-align: left; }
        """
}
