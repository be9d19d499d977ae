//! The web page at `/`: plain HTML and a small script (no build step), compiled into the binary with
//! `include_str!` and served without a key; every action on it is a call of the REST API with the key
//! entered on the page. Enter a key, add and delete examples, see subjects with their example faces,
//! recognise a photo (boxes and names drawn on it), compare two photos.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

const INDEX_HTML: &str = include_str!("../static/index.html");
const APP_JS: &str = include_str!("../static/app.js");

/// `/` and `/app.js`.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/", get(index)).route("/app.js", get(script))
}

async fn index() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], INDEX_HTML)
}

async fn script() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], APP_JS)
}
