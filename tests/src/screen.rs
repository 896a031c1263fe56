//! What the screen tests do on a screen, shared by every e2e module: wait
//! for an element or for its text, count rows, open a dialog, fill and click
//! fields that may sit under the fixed status bar, choose an option, pick an
//! item from a picker. Each waits up to [`PATIENCE`] and says what it was
//! waiting for when it gives up.

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use fantoccini::elements::Element;
use fantoccini::Locator;

use crate::shop::SeededItem;
use crate::{App, PATIENCE};

/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(200);

/// Waits for an element matching `css` and returns it.
pub async fn css(app: &App, css: &str) -> anyhow::Result<Element> {
    app.client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(css))
        .await
        .with_context(|| format!("nothing matched {css} within {PATIENCE:?}"))
}

/// Waits until the text of the element matching `css` satisfies `ok`, and returns it.
pub async fn css_text(app: &App, css: &str, ok: impl Fn(&str) -> bool) -> anyhow::Result<String> {
    let deadline = Instant::now() + PATIENCE;
    let mut last = String::new();
    loop {
        if let Ok(el) = app.client.find(Locator::Css(css)).await {
            if let Ok(text) = el.text().await {
                if ok(&text) {
                    return Ok(text);
                }
                last = text;
            }
        }
        if Instant::now() > deadline {
            bail!("{css} never showed the expected text; last seen: {last:?}");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until exactly `n` elements match `css`.
pub async fn wait_for_count(app: &App, css: &str, n: usize) -> anyhow::Result<()> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let found = app.client.find_all(Locator::Css(css)).await?.len();
        if found == n {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("expected {n} elements matching {css}, found {found}");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until the `<dialog data-testid=…>` is open.
pub async fn dialog_open(app: &App, testid: &str) -> anyhow::Result<()> {
    css(app, &format!("dialog[data-testid='{testid}'][open]"))
        .await
        .with_context(|| format!("the {testid} dialog did not open"))?;
    Ok(())
}

/// The `data-testid` element, scrolled to the middle of its scrolling
/// screen: the screen area scrolls under a fixed status bar, and WebKit's
/// driver refuses to type into or click a field the status bar covers.
pub async fn in_view(app: &App, id: &str) -> anyhow::Result<Element> {
    let el = app.testid(id).await?;
    app.client
        .execute(
            "arguments[0].scrollIntoView({ block: 'center' });",
            vec![serde_json::to_value(&el)?],
        )
        .await?;
    Ok(el)
}

/// Types into the `data-testid` field after clearing it (scrolled into view).
pub async fn fill(app: &App, id: &str, text: &str) -> anyhow::Result<()> {
    let el = in_view(app, id).await?;
    el.clear().await?;
    el.send_keys(text).await?;
    Ok(())
}

/// Clicks the `data-testid` element (scrolled into view).
pub async fn click(app: &App, id: &str) -> anyhow::Result<()> {
    in_view(app, id).await?.click().await?;
    Ok(())
}

/// Clicks the element at `css` once it is there, again if a list redrawn
/// while typing replaced it between finding and clicking.
pub async fn click_css(app: &App, css: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let err = match app.client.find(Locator::Css(css)).await {
            Ok(el) => match el.click().await {
                Ok(()) => return Ok(()),
                Err(e) => e.to_string(),
            },
            Err(e) => e.to_string(),
        };
        if Instant::now() > deadline {
            bail!("could not click {css} within {PATIENCE:?}: {err}");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Chooses the option with `value` in the `data-testid` select (scrolled into view).
pub async fn choose(app: &App, select: &str, value: &str) -> anyhow::Result<()> {
    in_view(app, select)
        .await?
        .find(Locator::Css(&format!("option[value='{value}']")))
        .await
        .with_context(|| format!("the select {select} has no option {value:?}"))?
        .click()
        .await?;
    Ok(())
}

/// Types the item's name into `<prefix>-search` and clicks its row in the
/// picker's results (`<prefix>-result` with the item's id).
pub async fn pick_item(app: &App, prefix: &str, item: &SeededItem) -> anyhow::Result<()> {
    fill(app, &format!("{prefix}-search"), &item.name).await?;
    let css = format!("[data-testid='{prefix}-result'][data-id='{}']", item.id);
    click_css(app, &css)
        .await
        .with_context(|| format!("searching {:?} did not list it in {prefix}-results", item.name))
}

/// A number as the screen writes it, without the group separators.
pub fn digits(text: &str) -> String {
    text.chars().filter(|c| c.is_ascii_digit() || *c == '-').collect()
}
