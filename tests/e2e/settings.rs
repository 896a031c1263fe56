//! The Settings screen: changing a rate, and switching the language.

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use fantoccini::Locator;
use sonic_core::ops::rates::{self, RateKind};
use sonic_core::sections::Rate;
use sonic_core::{DataDir, Store};
use sonic_e2e::shop::{self, seed_shop};
use sonic_e2e::{App, PATIENCE};

/// The first (newest) entry of a rate's history on screen: (data-old,
/// data-new, old text, new text), read in one script so a redraw of the list
/// cannot pull the element away between reads.
async fn newest_change(app: &App, kind: &str) -> anyhow::Result<(String, String, String, String)> {
    const SCRIPT: &str = r#"
        const first = document.querySelector(`[data-testid='settings-rate-${arguments[0]}-history'] [data-testid='rate-change']`);
        if (!first) return null;
        return [first.dataset.old, first.dataset.new,
                first.querySelector("[data-testid='rate-old']").textContent,
                first.querySelector("[data-testid='rate-new']").textContent];
    "#;
    let value = app.client.execute(SCRIPT, vec![serde_json::json!(kind)]).await?;
    let parts: Option<[String; 4]> = serde_json::from_value(value)?;
    let [old, new, old_text, new_text] = parts.context("the rate history lists no change")?;
    Ok((old, new, old_text, new_text))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_the_sales_rate_shows_old_to_new_in_the_history_and_stores_the_new_rate() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    seed_shop(dir.path())?;
    let app = App::launch(dir.path()).await?;
    app.sign_in(shop::OWNER.0, shop::OWNER.1).await?;
    app.open("settings").await?;

    app.wait_for_text("settings-rate-iqdPerUsd-current", |t| t == "1,310")
        .await?;
    // The seeded shop set its first rate through the same operation.
    let deadline = Instant::now() + PATIENCE;
    while newest_change(&app, "iqdPerUsd").await.is_err() {
        if Instant::now() > deadline {
            bail!("the sales rate history never listed the seeded rate");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        newest_change(&app, "iqdPerUsd").await?.1,
        shop::RATE,
        "before the change, the newest entry is the seeded rate"
    );

    app.fill("settings-rate-iqdPerUsd", "1325").await?;
    app.click("settings-rate-iqdPerUsd-save").await?;
    app.wait_for_text("settings-rate-iqdPerUsd-current", |t| t == "1,325")
        .await?;

    let deadline = Instant::now() + PATIENCE;
    let change = loop {
        let change = newest_change(&app, "iqdPerUsd").await?;
        if change.1 == "1325" {
            break change;
        }
        if Instant::now() > deadline {
            bail!("the history's newest entry never became the new rate; last seen {change:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        change,
        ("1310".into(), "1325".into(), "1,310".into(), "1,325".into()),
        "the newest history entry reads old 1,310 → new 1,325"
    );
    let changes = app
        .client
        .find_all(Locator::Css(
            "[data-testid='settings-rate-iqdPerUsd-history'] [data-testid='rate-change']",
        ))
        .await?;
    assert_eq!(changes.len(), 2, "the history holds the seeded rate and the change");
    app.wait_for_text("status-rate", |t| t == "1 USD = 1,325 IQD").await?;
    let transfer_rate = app.testid("settings-rate-iqdRate-current").await?.text().await?;
    assert_eq!(transfer_rate, "not set", "the transfer rate is untouched");

    let store = Store::open(&DataDir::at(dir.path()))?;
    let stored = rates::rate(&store, RateKind::IqdPerUsd)?;
    assert_eq!(
        stored,
        Some("1325".parse::<Rate>().map_err(anyhow::Error::msg)?),
        "the stored sales rate is the one typed"
    );
    assert_eq!(
        rates::rate(&store, RateKind::Transfer)?,
        None,
        "the transfer rate stays unset"
    );
    let history = rates::rate_history(&store, RateKind::IqdPerUsd, sonic_core::ops::Page::FIRST)?;
    assert_eq!(
        (
            history[0].old.as_deref(),
            history[0].new.as_str(),
            history[0].by.as_deref()
        ),
        (Some("1310"), "1325", Some(shop::OWNER.0)),
        "the stored history records old, new and who changed it"
    );
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_to_arabic_turns_the_app_right_to_left_and_the_sale_screen_into_arabic() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    seed_shop(dir.path())?;
    let app = App::launch(dir.path()).await?;
    app.sign_in(shop::OWNER.0, shop::OWNER.1).await?;
    app.open("settings").await?;
    let html = app.client.find(Locator::Css("html")).await?;
    assert_eq!(
        html.attr("dir").await?.as_deref(),
        Some("ltr"),
        "English is left to right"
    );

    choose_language(&app, "ar").await?;

    let arabic: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/i18n/ar/sale.json"),
    )?)?;
    let title = app
        .client
        .find(Locator::Css("main[data-screen='sale'] .screen__title"))
        .await?
        .text()
        .await?;
    assert_eq!(title, "بيع", "the Sale screen's title is in Arabic");
    assert_eq!(arabic["sale.title"], "بيع", "ar/sale.json names the Sale screen");
    let empty = app.testid("sale-cart-empty").await?.text().await?;
    assert_eq!(
        empty,
        arabic["sale.cartEmpty"].as_str().unwrap_or_default(),
        "the empty cart says so in Arabic"
    );
    assert_eq!(
        app.testid("nav-settings").await?.text().await?,
        "الإعدادات",
        "the side bar is in Arabic"
    );
    let direction = app
        .client
        .execute(
            "return getComputedStyle(document.querySelector('.shell')).direction",
            vec![],
        )
        .await?;
    assert_eq!(direction, "rtl", "the layout runs right to left");

    let session = app.invoke("session", serde_json::json!({})).await?;
    let session = session.map_err(|e| anyhow::anyhow!("session failed: {e}"))?;
    assert_eq!(session["language"], "ar", "the language is kept for the next start");
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_adds_a_user_changes_a_pin_and_saves_the_shop_settings() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    seed_shop(dir.path())?;
    let app = App::launch(dir.path()).await?;
    app.sign_in(shop::OWNER.0, shop::OWNER.1).await?;
    app.open("settings").await?;

    app.fill("settings-new-user-name", "Ali").await?;
    app.testid("settings-new-user-role")
        .await?
        .find(Locator::Css("option[value='manager']"))
        .await?
        .click()
        .await?;
    app.fill("settings-new-user-pin", "246810").await?;
    app.click("settings-new-user-submit").await?;
    let row = app
        .client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css("[data-testid='user-row'][data-name='Ali']"))
        .await
        .context("the new user is listed")?;
    assert_eq!(row.attr("data-role").await?.as_deref(), Some("manager"));

    // The cashier's PIN, changed by the owner.
    let cashier = app
        .client
        .find(Locator::Css(&format!(
            "[data-testid='user-row'][data-name='{}']",
            shop::CASHIER.0
        )))
        .await?;
    cashier
        .find(Locator::Css("[data-testid='user-new-pin']"))
        .await?
        .send_keys("9753")
        .await?;
    cashier
        .find(Locator::Css("[data-testid='user-set-pin']"))
        .await?
        .click()
        .await?;
    app.wait_for_text("status-message", |t| t == "PIN of Cashier changed")
        .await?;

    app.fill("settings-shop-name", "Sonic Karrada").await?;
    app.fill("settings-iqd-step", "500").await?;
    app.fill("settings-return-approval", "250000").await?;
    app.click("settings-shop-save").await?;
    app.wait_for_text("settings-shop-saved", |t| t == "Shop settings saved")
        .await?;

    let mut store = Store::open(&DataDir::at(dir.path()))?;
    let settings = sonic_core::ops::settings::shop_settings(&store)?;
    assert_eq!(
        (
            settings.shop_name.as_str(),
            settings.iqd_step,
            settings.return_approval_above_iqd
        ),
        ("Sonic Karrada", 500, 250_000),
        "the shop settings typed are stored"
    );
    assert_eq!(settings.max_pin_attempts, 5, "fields left alone keep their value");
    let now = chrono::Utc::now();
    let ali = sonic_core::ops::security::sign_in(&mut store, "Ali", "246810", now)?;
    assert_eq!(
        ali.role,
        sonic_core::sections::Role::Manager,
        "Ali signs in with his PIN as a manager"
    );
    sonic_core::ops::security::sign_in(&mut store, shop::CASHIER.0, "9753", now)
        .context("the cashier's new PIN works")?;
    assert!(
        sonic_core::ops::security::sign_in(&mut store, shop::CASHIER.0, shop::CASHIER.1, now).is_err(),
        "the cashier's old PIN no longer works"
    );
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cashier_has_no_settings_screen_and_rust_refuses_their_rate_change_with_named_values() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    seed_shop(dir.path())?;
    let app = App::launch(dir.path()).await?;
    app.sign_in(shop::CASHIER.0, shop::CASHIER.1).await?;
    let links = app
        .client
        .find_all(Locator::Css("#nav [data-testid='nav-settings']"))
        .await?;
    assert!(links.is_empty(), "a cashier's side bar has no Settings");
    // The shell refuses it all the same, as a code with named values the UI
    // words (not only an English sentence).
    let refused = app
        .invoke("set_rate", serde_json::json!({ "kind": "iqdPerUsd", "rate": "1500" }))
        .await?
        .err()
        .context("a cashier's rate change is refused")?;
    assert_eq!(refused["code"], "Forbidden", "{refused}");
    assert_eq!(refused["params"]["needs"], "manager", "{refused}");
    assert_eq!(refused["params"]["user"], shop::CASHIER.0, "{refused}");
    let store = Store::open(&DataDir::at(dir.path()))?;
    assert_eq!(
        rates::rate(&store, RateKind::IqdPerUsd)?,
        Some(shop::RATE.parse::<Rate>().map_err(anyhow::Error::msg)?),
        "the stored rate is unchanged"
    );
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_ten_times_the_current_one_is_asked_about_with_an_example_price_before_it_is_used() -> anyhow::Result<()>
{
    let dir = tempfile::tempdir()?;
    seed_shop(dir.path())?;
    let app = App::launch(dir.path()).await?;
    app.sign_in(shop::OWNER.0, shop::OWNER.1).await?;
    app.open("settings").await?;
    app.wait_for_text("settings-rate-iqdPerUsd-current", |t| t == "1,310")
        .await?;
    let stored = |dir: &std::path::Path| -> anyhow::Result<Option<Rate>> {
        Ok(rates::rate(&Store::open(&DataDir::at(dir))?, RateKind::IqdPerUsd)?)
    };
    let rate = |text: &str| text.parse::<Rate>().map_err(anyhow::Error::msg);

    // A 10× typo: asked about, showing old, new and a $100.00 item at both.
    app.fill("settings-rate-iqdPerUsd", "13100").await?;
    app.click("settings-rate-iqdPerUsd-save").await?;
    sonic_e2e::screen::dialog_open(&app, "settings-rate-confirm-dialog").await?;
    let what = app.testid("settings-rate-confirm-what").await?.text().await?;
    for part in ["1,310", "13,100", "$100.00", "131,000 IQD", "1,310,000 IQD"] {
        assert!(what.contains(part), "the question shows {part}: {what}");
    }
    // Cancelled, nothing changed.
    app.client
        .find(Locator::Css(
            "[data-testid='settings-rate-confirm-dialog'] button[type='button']",
        ))
        .await?
        .click()
        .await?;
    assert_eq!(
        stored(dir.path())?,
        Some(rate("1310")?),
        "a cancelled change is not stored"
    );
    app.wait_for_text("settings-rate-iqdPerUsd-current", |t| t == "1,310")
        .await?;

    // Confirmed, it is used.
    app.click("settings-rate-iqdPerUsd-save").await?;
    sonic_e2e::screen::dialog_open(&app, "settings-rate-confirm-dialog").await?;
    app.click("settings-rate-confirm-confirm").await?;
    app.wait_for_text("settings-rate-iqdPerUsd-current", |t| t == "13,100")
        .await?;
    assert_eq!(
        stored(dir.path())?,
        Some(rate("13100")?),
        "the confirmed rate is stored"
    );

    // Within 10 % it is changed at once, without a question.
    app.fill("settings-rate-iqdPerUsd", "13500").await?;
    app.click("settings-rate-iqdPerUsd-save").await?;
    app.wait_for_text("settings-rate-iqdPerUsd-current", |t| t == "13,500")
        .await?;
    app.quit().await
}

/// Chooses a language on the Settings screen and waits for the frame to
/// reload in it (right to left for Arabic) and, still signed in, open the
/// Sale screen: an element found before the reload is gone.
async fn choose_language(app: &App, lang: &str) -> anyhow::Result<()> {
    app.click(&format!("settings-language-{lang}")).await?;
    let dir = if lang == "ar" { "rtl" } else { "ltr" };
    app.client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(&format!(
            "html[dir='{dir}'][lang='{lang}'] body[data-ready='true'][data-signed-in='true'] main[data-screen='sale']"
        )))
        .await
        .with_context(|| format!("after choosing {lang} the app never showed the Sale screen {dir}"))?;
    Ok(())
}

/// The native menu (File, Backup, Help) is built in the saved language and
/// relabelled when the language changes (issue 16). WebDriver cannot see
/// the native menu, so the app reads its labels back from the menu itself
/// and logs them; the test reads the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_native_menu_follows_the_language() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    seed_shop(dir.path())?;
    Store::open(&DataDir::at(dir.path()))?.set_setting("ui.language", "ar")?;
    let app = App::launch(dir.path()).await?;
    let log = || std::fs::read_to_string(dir.path().join("logs/sonic-pos.log")).unwrap_or_default();
    let built = log();
    let line = built
        .lines()
        .find(|l| l.contains("menu built"))
        .context("the start logs the menu it built")?;
    assert!(
        line.contains("ملف")
            && line.contains("النسخ الاحتياطي")
            && line.contains("مساعدة")
            && !line.contains("\"File\""),
        "saved in Arabic, the menu starts in Arabic: {line}"
    );
    app.sign_in(shop::OWNER.0, shop::OWNER.1).await?;
    app.open("settings").await?;
    choose_language(&app, "en").await?;
    let english = sonic_e2e::eventually("the menu relabelled in English", || {
        Ok(log()
            .lines()
            .find(|l| l.contains("menu relabelled") && l.contains("\"File\""))
            .map(str::to_string))
    })
    .await?;
    assert!(
        english.contains("\"Backup Now\"") && !english.contains("ملف"),
        "{english}"
    );
    app.open("settings").await?;
    choose_language(&app, "ar").await?;
    let arabic = sonic_e2e::eventually("the menu relabelled in Arabic", || {
        Ok(log()
            .lines()
            .rev()
            .find(|l| l.contains("menu relabelled"))
            .filter(|l| l.contains("ملف"))
            .map(str::to_string))
    })
    .await?;
    assert!(
        arabic.contains("نسخ احتياطي الآن") && !arabic.contains("\"File\""),
        "{arabic}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("language"))?,
        "ar",
        "the language is kept beside the database for the recovery window"
    );
    app.quit().await
}
