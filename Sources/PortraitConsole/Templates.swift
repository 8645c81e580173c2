/// The console's templates and style sheet, compiled into the binary: an installed `portrait`
/// finds them wherever it runs. Mustache escapes every `{{value}}`; no template uses `{{{…}}}`.
enum Templates {
    static let all: [String: String] = [
        "layout": layout,
        "signin": signIn,
        "queue": queue,
        "message": message,
    ]

    static let layout = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{$title}}Portrait{{/title}} · Portrait</title>
        <link rel="stylesheet" href="/console.css">
        </head>
        <body>
        <header>
          <a class="brand" href="/">Portrait</a>
          {{#frame}}{{#visitor}}
          <nav aria-label="Pages">
            <a href="/queue"{{#onQueue}} aria-current="page"{{/onQueue}}>Queue</a>
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
        <form class="signin" method="post" action="/login">
          <label for="name">Name</label>
          <input id="name" name="name" autocomplete="username" required value="{{name}}" autofocus>
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required>
          <button type="submit">Sign in</button>
        </form>
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
              {{#mayDecide}}<input type="checkbox" id="p{{personId}}" name="person" value="{{personId}}">{{/mayDecide}}
              <label for="p{{personId}}" class="who">{{person}}</label>
              <p class="why">From {{source}}, first seen {{firstSeen}}: {{reason}}</p>
              <div class="pair">
                <figure><img src="/photos/{{photo}}" alt="Waiting photo of {{person}}" width="160" height="160" loading="lazy"><figcaption>Waiting</figcaption></figure>
                <figure>{{#hasApproved}}<img src="/photos/{{approvedPhoto}}" alt="Approved photo of {{person}}" width="160" height="160" loading="lazy">{{/hasApproved}}{{^hasApproved}}<span class="none">none yet</span>{{/hasApproved}}<figcaption>Approved now</figcaption></figure>
              </div>
            </li>
          {{/items}}
          </ul>
          {{#mayDecide}}
          <fieldset class="decide">
            <legend>Decide on the selected photos</legend>
            <label for="reason">Reason (needed to reject; recorded either way)</label>
            <input id="reason" name="reason" maxlength="500">
            <button type="submit" name="verdict" value="approved">Approve selected</button>
            <button type="submit" name="verdict" value="rejected">Reject selected</button>
          </fieldset>
          {{/mayDecide}}
        </form>
        {{/hasItems}}
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
        button { font: inherit; padding: .35rem .9rem; cursor: pointer; }
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
        figure { margin: 0; text-align: center; font-size: .85rem; }
        figure img, .none { display: block; width: 160px; height: 160px; object-fit: cover; border-radius: 4px; background: #8882; }
        .none { line-height: 160px; }
        .decide { position: sticky; bottom: 0; background: Canvas; border: 1px solid var(--line); display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
        .decide label { flex-basis: 100%; }
        .decide input { flex: 1 1 16rem; }
        """
}
