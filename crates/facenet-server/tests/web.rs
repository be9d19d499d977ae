//! The web page in a real browser: Debian's chromium driven over WebDriver (fantoccini + chromedriver)
//! through one round — enter the key, add two people, recognise a third photo (its name appears), delete an
//! example — with a screenshot saved to `$CARGO_TARGET_TMPDIR/web_round.png`. Skipped with one loud line
//! when chromedriver or chromium is missing (`.ci/run` installs both).

mod common;

use common::server;
use fantoccini::{ClientBuilder, Locator};
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The absolute path of the first of `names` found on `PATH` (chromedriver needs chromium's full path).
fn find_program(names: &[&str]) -> Option<String> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
            .map(|found| found.display().to_string())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_round_in_the_browser_adds_recognises_and_deletes() {
    let (Some(chromedriver), Some(chromium)) = (
        find_program(&["chromedriver"]),
        find_program(&["chromium", "chromium-browser"]),
    ) else {
        eprintln!(
            "SKIPPED a_round_in_the_browser_adds_recognises_and_deletes: chromedriver or chromium missing (apt-get install chromium chromium-driver)"
        );
        return;
    };
    let s = server();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = s.app.clone();
    tokio::spawn(async move { facenet_server::serve(listener, app, std::future::pending()).await });

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _driver = Driver(
        Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({"binary": chromium, "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,2000"]}),
    );
    let mut attempt = Err(None);
    for _ in 0..300 {
        attempt = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .map_err(Some);
        if attempt.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let c = attempt.unwrap_or_else(|e| panic!("no WebDriver session from chromedriver: {e:?}"));
    let cache = facenet::Cache::from_env().unwrap();
    let path = |name: &str| cache.ensure(name).unwrap().display().to_string();

    c.goto(&format!("http://{addr}/")).await.unwrap();
    c.find(Locator::Id("key"))
        .await
        .unwrap()
        .send_keys(&s.recognition)
        .await
        .unwrap();
    for (subject, photo) in [("obama", "obama.jpg"), ("biden", "biden.jpg")] {
        let name = c.find(Locator::Id("add-subject")).await.unwrap();
        name.clear().await.unwrap();
        name.send_keys(subject).await.unwrap();
        c.find(Locator::Id("add-file"))
            .await
            .unwrap()
            .send_keys(&path(photo))
            .await
            .unwrap();
        c.find(Locator::Id("add")).await.unwrap().click().await.unwrap();
        c.wait()
            .at_most(Duration::from_secs(60))
            .for_element(Locator::Css(&format!("#subjects li[data-subject='{subject}'] img")))
            .await
            .unwrap();
    }
    c.find(Locator::Id("recognize-file"))
        .await
        .unwrap()
        .send_keys(&path("obama2.jpg"))
        .await
        .unwrap();
    c.find(Locator::Id("recognize")).await.unwrap().click().await.unwrap();
    let name = c
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css("#names li.name"))
        .await
        .unwrap();
    let label = name.text().await.unwrap();
    assert!(label.starts_with("obama"), "recognised as {label:?}");
    let screenshot = c.screenshot().await.unwrap();
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("web_round.png");
    std::fs::write(&out, &screenshot).unwrap();
    assert!(screenshot.starts_with(b"\x89PNG"), "a PNG screenshot");
    eprintln!("screenshot: {}", out.display());

    c.find(Locator::Css("#subjects li[data-subject='biden'] button.delete-example"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    for _ in 0..100 {
        if c.find(Locator::Css("#subjects li[data-subject='biden'] img"))
            .await
            .is_err()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        c.find(Locator::Css("#subjects li[data-subject='biden'] img"))
            .await
            .is_err(),
        "biden's example is gone from the page"
    );
    let (_, page) = s
        .json("GET", "/api/v1/recognition/faces?subject=biden", &s.recognition, None)
        .await;
    assert_eq!(page["total_elements"], 0, "and from the gallery");
    c.close().await.unwrap();
}
