//! The page every dashboard view is drawn in: its head, style, navigation and script, and the
//! headers that keep the page's own content the only thing it runs.

use std::sync::OnceLock;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use sha2::{Digest, Sha256};

use super::HOME;

/// The style, small and inline: no build step, no fonts or files from elsewhere.
const STYLE: &str = r#"
:root { color-scheme: light dark; --line: #8884; --muted: #888; --ok: #2a7; --bad: #d44; --warn: #c80; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 1400px; padding: 0 1rem 3rem; }
header { display: flex; gap: 1rem; align-items: baseline; flex-wrap: wrap; border-bottom: 1px solid var(--line); padding: .6rem 0; }
header h1 { font-size: 1.1rem; margin: 0; }
nav a { margin-right: .8rem; }
h2 { font-size: 1rem; margin: 1.6rem 0 .4rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font: 12px/1.35 ui-monospace, monospace; }
pre { background: #8881; padding: .6rem; overflow: auto; max-height: 32rem; white-space: pre-wrap; word-break: break-all; }
.s2 { color: var(--ok); } .s4 { color: var(--warn); } .s5 { color: var(--bad); }
.muted { color: var(--muted); }
.thumbs img { height: 40px; margin-right: 2px; border: 1px solid var(--line); }
.images img { max-width: 256px; max-height: 256px; margin: 0 .5rem .5rem 0; border: 1px solid var(--line); }
form.inline { display: inline; }
form.add { display: flex; gap: .5rem; flex-wrap: wrap; align-items: end; margin-top: .5rem; }
label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
dl { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; }
dt { color: var(--muted); } dd { margin: 0; }
"#;

/// Live refresh of the parts marked `data-live` (every 2 s while the tab is shown), and the
/// copy buttons. Without JavaScript the page is whole; `?refresh=N` reloads it instead.
const SCRIPT: &str = r#"
(function () {
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = document.getElementById(button.dataset.copy).textContent;
      navigator.clipboard.writeText(text).then(function () { button.textContent = "Copied"; });
    });
  });
  var live = document.querySelectorAll("[data-live]");
  var toggle = document.getElementById("live");
  if (!live.length || !toggle) return;
  var on = true;
  toggle.hidden = false;
  toggle.addEventListener("click", function () {
    on = !on;
    toggle.textContent = on ? "Pause live updates" : "Resume live updates";
  });
  setInterval(function () {
    if (!on || document.hidden) return;
    fetch(location.href).then(function (r) { return r.text(); }).then(function (text) {
      var page = new DOMParser().parseFromString(text, "text/html");
      live.forEach(function (part) {
        var fresh = page.getElementById(part.id);
        if (fresh) part.innerHTML = fresh.innerHTML;
      });
    }).catch(function () {});
  }, 2000);
})();
"#;

/// The Content-Security-Policy: this page's own style and script (by hash), images and
/// fetches from the mock, forms posting to it; nothing else, whatever a prompt smuggles in.
fn policy() -> &'static str {
    static POLICY: OnceLock<String> = OnceLock::new();
    POLICY.get_or_init(|| {
        let digest = Sha256::digest(SCRIPT.as_bytes());
        let hash = gemini_image_types::Base64Bytes::new(digest.to_vec()).encode();
        format!(
            "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; \
             script-src 'sha256-{hash}'; connect-src 'self'; form-action 'self'; \
             base-uri 'none'; frame-ancestors 'none'"
        )
    })
}

/// `body` as a whole page titled `title`, reloading every `refresh` seconds when asked.
pub fn page(title: &str, refresh: Option<u32>, body: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some(seconds) = refresh {
                    meta http-equiv="refresh" content=(seconds);
                }
                title { (title) " · gemini-image-mock" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    h1 { a href=(HOME) { "gemini-image-mock" } }
                    nav {
                        a href={ (HOME) "#journal" } { "Requests" }
                        a href={ (HOME) "#scenarios" } { "Scenarios" }
                        a href={ (HOME) "#settings" } { "Settings" }
                        a href={ (HOME) "#files" } { "Files" }
                        a href={ (HOME) "#batches" } { "Batches" }
                    }
                    button id="live" type="button" hidden { "Pause live updates" }
                }
                (body)
                script { (PreEscaped(SCRIPT)) }
            }
        }
    };
    let mut response = markup.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(policy) = HeaderValue::from_str(policy()) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// The status, coloured by its class.
pub fn status(code: u16) -> Markup {
    let class = match code {
        200..=399 => "s2",
        400..=499 => "s4",
        _ => "s5",
    };
    html! { span class=(class) { (code) } }
}

/// Small thumbnails of the images named by `hashes`, each linking to its full thumbnail.
pub fn thumbnails(hashes: &[String]) -> Markup {
    html! {
        @for hash in hashes {
            a href={ "/__mock/thumbnails/" (hash) } {
                img src={ "/__mock/thumbnails/" (hash) } alt={ "image " (hash) } loading="lazy";
            }
        }
    }
}
