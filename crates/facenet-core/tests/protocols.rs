//! Protocol files: the official layouts parse (fixture lines copied from the official LFW and YTF files,
//! and the whole real files when ../shared/data or $FACENET_SHARED has them), and each kind of malformed
//! file is refused with its line number.

#[allow(dead_code)]
mod common;

use common::{fixture, shared_data};
use facenet_core::Error;
use facenet_core::protocols::lfw::{LfwImage, parse_lfw_pairs, read_lfw_pairs};
use facenet_core::protocols::ytf::{parse_splits, parse_videos, read_ytf};

fn parse_line(error: Error) -> (usize, String) {
    match error {
        Error::Parse { line, message, .. } => (line, message),
        other => panic!("expected a parse error, got {other}"),
    }
}

#[test]
fn view2_sample_has_folds_of_same_then_different_pairs() {
    let pairs = read_lfw_pairs(&fixture("lfw/pairs_view2_sample.txt")).unwrap();
    assert_eq!((pairs.blocks, pairs.per_class, pairs.pairs.len()), (2, 3, 12));
    let folds: Vec<u32> = pairs.pairs.iter().map(|p| p.fold).collect();
    assert_eq!(folds, [1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2]);
    let same: Vec<bool> = pairs.pairs.iter().map(|p| p.same).collect();
    assert_eq!(
        same,
        [
            true, true, true, false, false, false, true, true, true, false, false, false
        ]
    );
    let first = &pairs.pairs[0];
    assert_eq!(
        (first.first.to_string(), first.second.to_string(), first.line),
        ("Abel_Pacheco_0001".into(), "Abel_Pacheco_0004".into(), 2)
    );
    assert_eq!(
        pairs.pairs[3].second,
        LfwImage {
            name: "Dean_Barker".into(),
            number: 1
        }
    );
    assert_eq!(
        first.first.relative_path("jpg"),
        std::path::Path::new("Abel_Pacheco/Abel_Pacheco_0001.jpg")
    );
}

#[test]
fn view1_sample_is_spread_over_ten_folds_per_class() {
    let pairs = read_lfw_pairs(&fixture("lfw/pairs_view1_sample.txt")).unwrap();
    assert_eq!((pairs.blocks, pairs.per_class, pairs.pairs.len()), (1, 4, 8));
    let folds: Vec<u32> = pairs.pairs.iter().map(|p| p.fold).collect();
    assert_eq!(folds, [1, 3, 6, 8, 1, 3, 6, 8]);
}

#[test]
fn real_pairs_txt_has_ten_folds_of_300_and_300() {
    let Some(path) = shared_data("lfw/pairs.txt") else {
        return;
    };
    let pairs = read_lfw_pairs(&path).unwrap();
    assert_eq!((pairs.blocks, pairs.per_class, pairs.pairs.len()), (10, 300, 6000));
    for fold in 1..=10 {
        let in_fold: Vec<_> = pairs.pairs.iter().filter(|p| p.fold == fold).collect();
        assert_eq!(in_fold.iter().filter(|p| p.same).count(), 300);
        assert_eq!(in_fold.iter().filter(|p| !p.same).count(), 300);
    }
}

#[test]
fn real_view1_files_parse() {
    for (file, n) in [("lfw/pairsDevTrain.txt", 1100), ("lfw/pairsDevTest.txt", 500)] {
        let Some(path) = shared_data(file) else { return };
        let pairs = read_lfw_pairs(&path).unwrap();
        assert_eq!(
            (pairs.blocks, pairs.per_class, pairs.pairs.len()),
            (1, n, 2 * n as usize)
        );
    }
}

#[test]
fn malformed_lfw_files_name_the_line() {
    let cases: [(&str, usize, &str); 8] = [
        ("10 300 5\nA\t1\t2\n", 1, "header"),
        ("x\nA\t1\t2\n", 1, "header"),
        ("1\t1\nA\t1\nA\t1\tB\t2\n", 2, "expected 3 fields"),
        ("1\t1\nA\t1\t2\nA\t1\tB\n", 3, "expected 4 fields"),
        (
            "1\t1\nA\tone\t2\nA\t1\tB\t2\n",
            2,
            "image number \"one\" of A is not a positive integer",
        ),
        (
            "1\t2\nA\t1\t2\nA\t2\t1\nA\t1\tB\t2\nC\t1\tD\t1\n",
            3,
            "duplicate pair A_0002 A_0001 (also on line 2)",
        ),
        (
            "1\t2\nA\t1\t2\nA\t1\t3\nA\t1\tB\t2\n",
            5,
            "file ends after 3 pairs; the header announces 4",
        ),
        (
            "1\t1\nA\t1\t2\nA\t1\tB\t2\nC\t1\t2\n",
            4,
            "more pairs than the 2 the header announces",
        ),
    ];
    for (text, line, message) in cases {
        let (got_line, got_message) = parse_line(parse_lfw_pairs(text, "pairs.txt").unwrap_err());
        assert_eq!(got_line, line, "{text:?}: {got_message}");
        assert!(
            got_message.contains(message),
            "{text:?}: {got_message:?} should contain {message:?}"
        );
    }
    let shown = parse_lfw_pairs("1\t1\nA\tone\t2\nA\t1\tB\t2\n", "pairs.txt")
        .unwrap_err()
        .to_string();
    assert!(shown.starts_with("pairs.txt:2: "), "{shown}");
}

#[test]
fn ytf_samples_parse_and_cross_check() {
    let protocol = read_ytf(&fixture("ytf/videos_sample.tsv"), &fixture("ytf/splits_sample.tsv")).unwrap();
    assert_eq!((protocol.videos.len(), protocol.pairs.len()), (16, 8));
    let first = &protocol.pairs[0];
    assert_eq!(
        (first.split, first.first, first.second, first.same, first.line),
        (1, 2961, 2963, true, 2)
    );
    assert_eq!(protocol.videos[0].name, "Carolina_Kluft/5");
}

#[test]
fn real_ytf_files_have_ten_splits_of_500() {
    let (Some(videos), Some(splits)) = (shared_data("ytf/videos.tsv"), shared_data("ytf/splits.tsv")) else {
        return;
    };
    let protocol = read_ytf(&videos, &splits).unwrap();
    assert_eq!((protocol.videos.len(), protocol.pairs.len()), (3425, 5000));
    for split in 1..=10 {
        let pairs: Vec<_> = protocol.pairs.iter().filter(|p| p.split == split).collect();
        assert_eq!((pairs.len(), pairs.iter().filter(|p| p.same).count()), (500, 250));
    }
}

#[test]
fn malformed_ytf_files_name_the_line() {
    let header = "split\tvideo1\tvideo2\tsame\tname1\tname2\n";
    let cases: [(String, usize, &str); 5] = [
        ("index\tvideo1\n1\t1\t2\t1\ta\tb\n".into(), 1, "header"),
        (
            format!("{header}1\t1\t2\t1\ta\n"),
            2,
            "expected 6 tab-separated fields, got 5",
        ),
        (
            format!("{header}1\t1\t2\t1\ta\tb\n1\tx\t2\t1\ta\tb\n"),
            3,
            "video1 \"x\" is not a non-negative integer",
        ),
        (format!("{header}1\t1\t2\t2\ta\tb\n"), 2, "same \"2\" is not 0 or 1"),
        (
            format!("{header}1\t1\t2\t1\ta\tb\n3\t2\t1\t1\tb\ta\n"),
            3,
            "duplicate pair of videos 2 and 1 (also on line 2)",
        ),
    ];
    for (text, line, message) in cases {
        let (got_line, got_message) = parse_line(parse_splits(&text, "splits.tsv").unwrap_err());
        assert_eq!(got_line, line, "{text:?}: {got_message}");
        assert!(
            got_message.contains(message),
            "{text:?}: {got_message:?} should contain {message:?}"
        );
    }
    let videos = "video_index_1based\tlabel\tname\n1\t1\tA/0\n1\t1\tA/1\n";
    assert_eq!(
        parse_line(parse_videos(videos, "videos.tsv").unwrap_err()),
        (3, "duplicate video index 1 (also on line 2)".into())
    );
    let videos = "video_index_1based\tlabel\tname\n1\tone\tA/0\n";
    assert_eq!(parse_line(parse_videos(videos, "videos.tsv").unwrap_err()).0, 2);
}

#[test]
fn splits_naming_unknown_videos_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let videos = dir.path().join("videos.tsv");
    let splits = dir.path().join("splits.tsv");
    std::fs::write(&videos, "video_index_1based\tlabel\tname\n1\t1\tA/0\n2\t1\tA/1\n").unwrap();
    std::fs::write(
        &splits,
        "split\tvideo1\tvideo2\tsame\tname1\tname2\n1\t1\t2\t1\tA/0\tA/1\n1\t1\t9\t0\tA/0\tB/0\n",
    )
    .unwrap();
    let (line, message) = parse_line(read_ytf(&videos, &splits).unwrap_err());
    assert_eq!((line, message.as_str()), (3, "video 9 is not in videos.tsv"));
}

/// Fuzz finding (lfw_pairs, issue 20): the header "2\r 444444444" made the parser reserve room for the
/// 1.8 billion pairs it announces (out of memory) before reading a line; now it reserves one pair per line
/// and reports the missing pairs.
#[test]
fn lfw_header_announcing_billions_of_pairs_is_an_error_not_out_of_memory() {
    let (line, message) = parse_line(parse_lfw_pairs("2\r 444444444", "pairs.txt").unwrap_err());
    assert!(line >= 1 && message.contains("pairs"), "{line}: {message}");
    let huge = format!("{} {}\nAaron 1 2\n", u32::MAX, u32::MAX);
    assert!(parse_lfw_pairs(&huge, "pairs.txt").is_err());
}
