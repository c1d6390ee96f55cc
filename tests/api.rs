//! The REST client in-process, against the shared fake vendor.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cbcheck::testing::{
    ApiError, CallbackConfig, Client, ClientOptions, Deadline, Interface, KeySource, Live,
    Observer, Oversized, RedirectTarget, Renderer, RetryPolicy, Secret, Service, SigParams, Style,
    Target, Tick, Token, WriteReply, mint,
};
use serde_json::{Value, json};

use crate::support::vendor::{
    ROOM, Reply, Vendor, configured, fail, not_configured, ok, with_request_id,
};

const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
const GET: &str = "/v4/room_config/get_callback";

fn token(sdkappid: u64) -> Secret {
    mint(
        &Secret::new(KEY),
        &SigParams {
            sdkappid,
            identifier: "administrator",
            time: 1_764_201_600,
            expire: 3600,
        },
    )
}

fn target(vendor: &Vendor, sdkappid: u64) -> Target {
    target_at(&vendor.uri(), sdkappid)
}

fn target_at(base: &str, sdkappid: u64) -> Target {
    Target {
        sdkappid,
        service: &Service::ROOM,
        identifier: "administrator".into(),
        usersig: Token::ready(token(sdkappid)),
        key_source: KeySource::SecretKey("CBCHECK_SECRET_KEY".into()),
        base: base.parse().expect("base URL"),
        placeholders: cbcheck::testing::Placeholders::default(),
    }
}

fn fast_client(attempts: u32, timeout: Duration) -> Client {
    Client::new(ClientOptions {
        timeout,
        retry: RetryPolicy {
            attempts,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
        },
        ..ClientOptions::default()
    })
    .expect("client")
}

fn client() -> Client {
    fast_client(4, Duration::from_secs(5))
}

/// The attempts and the last reason of an error that gave up; panics on any other.
fn gave_up(err: &ApiError) -> (u32, &str) {
    let ApiError::GaveUp {
        attempts, reason, ..
    } = err
    else {
        panic!("{err:?}")
    };
    (*attempts, reason)
}

/// Neither the key nor the token (nor a long piece of either) appears in any rendering.
fn assert_no_secret(err: &ApiError, usersig: &Secret) {
    let rendered = Renderer::new(Style::plain()).render(err);
    for shown in [
        format!("{err}"),
        format!("{err:?}"),
        format!("{err:#?}"),
        rendered,
    ] {
        for secret in [KEY, usersig.expose()] {
            assert!(!shown.contains(&secret[..20]), "secret leaked in: {shown}");
        }
    }
}

#[tokio::test]
async fn get_callback_sends_the_documented_request() {
    let vendor = Vendor::start();
    vendor.room(
        1_400_000_001,
        "https://hooks.example.com/cb",
        &["Room.CallbackAfterCreateRoom"],
    );
    let target = target(&vendor, 1_400_000_001);
    let live = client().get_callback(&target).await.expect("ok");
    assert_eq!(
        live,
        Live::Present {
            config: CallbackConfig {
                url: "https://hooks.example.com/cb".into(),
                commands: vec!["Room.CallbackAfterCreateRoom".into()],
            },
            request_id: Some("Id-0-O-Seq-9".into()),
        }
    );
    client().get_callback(&target).await.expect("ok");

    let requests = vendor.requests();
    assert_eq!(requests.len(), 2);
    let mut randoms = Vec::new();
    for request in &requests {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, GET);
        let names: Vec<&str> = request.query.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            ["sdkappid", "identifier", "usersig", "random", "contenttype"]
        );
        let get = |name: &str| request.query(name).expect(name);
        assert_eq!(get("sdkappid"), "1400000001");
        assert_eq!(get("identifier"), "administrator");
        assert_eq!(get("usersig"), target.usersig().expose());
        assert_eq!(get("contenttype"), "json");
        randoms.push(get("random").parse::<u32>().expect("random is a u32"));
        let body: Value = serde_json::from_slice(&request.body).expect("JSON body");
        assert_eq!(body, json!({}));
        assert_eq!(
            request.header("user-agent"),
            Some(concat!("cbcheck/", env!("CARGO_PKG_VERSION")))
        );
        assert_eq!(request.header("content-type"), Some("application/json"));
    }
    assert_ne!(randoms[0], randoms[1], "a fresh random per request");
}

#[tokio::test]
async fn all_four_interfaces_use_their_paths_and_bodies() {
    let vendor = Vendor::start();
    let target = target(&vendor, 1_400_000_002);
    let config = CallbackConfig {
        url: "https://hooks.example.com/cb".into(),
        commands: vec![
            "Room.CallbackAfterCreateRoom".into(),
            "Mic.CallbackAfterSeatInfoChanged".into(),
        ],
    };
    let c = client();
    assert!(matches!(
        c.write_callback(&target, Interface::Set, &config).await,
        Ok(WriteReply::Done { .. })
    ));
    assert!(matches!(
        c.write_callback(&target, Interface::Update, &config).await,
        Ok(WriteReply::Done { .. })
    ));
    assert!(matches!(
        c.delete_callback(&target).await,
        Ok(WriteReply::Done { .. })
    ));
    let seen: Vec<(String, Value)> = vendor
        .requests()
        .iter()
        .map(|r| {
            (
                r.path.clone(),
                serde_json::from_slice(&r.body).expect("JSON"),
            )
        })
        .collect();
    let body = json!({"Url": "https://hooks.example.com/cb",
        "CallbackCommandList": ["Room.CallbackAfterCreateRoom", "Mic.CallbackAfterSeatInfoChanged"]});
    assert_eq!(
        seen,
        [
            ("/v4/room_config/set_callback".to_owned(), body.clone()),
            ("/v4/room_config/update_callback".to_owned(), body),
            ("/v4/room_config/delete_callback".to_owned(), json!({})),
        ]
    );
}

#[tokio::test]
async fn absent_and_already_exists_are_outcomes_not_errors() {
    // Nothing configured: absent; configured: a set already exists; removed: an
    // update finds nothing.
    let vendor = Vendor::start();
    let target = target(&vendor, 1_400_000_003);
    let config = CallbackConfig {
        url: "https://h.example.com".into(),
        commands: vec![],
    };
    assert_eq!(
        client().get_callback(&target).await,
        Ok(Live::Absent {
            request_id: Some("Id-100301-O-Seq-9".into())
        })
    );
    vendor.room(1_400_000_003, "https://h.example.com", &[]);
    assert!(matches!(
        client()
            .write_callback(&target, Interface::Set, &config)
            .await,
        Ok(WriteReply::AlreadyExists { .. })
    ));
    vendor.set(ROOM, 1_400_000_003, None);
    assert!(matches!(
        client()
            .write_callback(&target, Interface::Update, &config)
            .await,
        Ok(WriteReply::Absent { .. })
    ));
}

#[tokio::test]
async fn fails_twice_with_100001_then_succeeds() {
    let vendor = Vendor::start();
    vendor
        .then(1_400_000_004, fail(100_001, "internal error"))
        .then(1_400_000_004, fail(100_001, "internal error"))
        .room(1_400_000_004, "https://h.example.com/cb", &[]);
    let live = client().get_callback(&target(&vendor, 1_400_000_004)).await;
    assert!(matches!(live, Ok(Live::Present { .. })), "{live:?}");
    assert_eq!(vendor.requests().len(), 3);
}

#[tokio::test]
async fn retryable_failures_give_up_after_the_bounded_attempts() {
    for (reply, reason) in [
        (fail(100_001, "internal error").into(), "ErrorCode 100001"),
        (fail(60_011, "frequency limit").into(), "ErrorCode 60011"),
        (
            fail(70_500, "server internal error").into(),
            "ErrorCode 70500",
        ),
        (
            Reply::body(502, "text/html", "<html>Bad Gateway</html>"),
            "HTTP 502",
        ),
    ] {
        let vendor = Vendor::start();
        vendor.answer(1_400_000_005, reply);
        let target = target(&vendor, 1_400_000_005);
        let err = fast_client(3, Duration::from_secs(5))
            .get_callback(&target)
            .await
            .expect_err("fails");
        let (attempts, last) = gave_up(&err);
        assert_eq!(attempts, 3);
        assert_eq!(vendor.requests().len(), 3);
        assert!(last.contains(reason), "{last}");
        assert!(!err.is_auth());
        assert!(
            err.to_string().contains("gave up after 3 attempts"),
            "{err}"
        );
        assert_no_secret(&err, target.usersig());
    }
}

#[tokio::test]
async fn auth_and_api_errors_are_never_retried_and_keep_the_request_id() {
    for code in [
        70_001, 70_003, 70_009, 70_013, 70_014, 70_016, 70_020, 60_006, 60_010, 70_403, 70_050,
    ] {
        let vendor = Vendor::start();
        vendor.answer(1_400_000_006, fail(code, "refused"));
        let target = target(&vendor, 1_400_000_006);
        let err = client().get_callback(&target).await.expect_err("refused");
        assert_eq!(vendor.requests().len(), 1, "{code}: never retried");
        assert!(err.is_auth(), "{code}: {err:?}");
        assert_eq!(
            err.request_id(),
            Some(format!("Id-{code}-O-Seq-9").as_str())
        );
        let rendered = Renderer::new(Style::plain()).render(&err);
        assert!(
            rendered.contains(&format!("RequestId Id-{code}-O-Seq-9")),
            "{rendered}"
        );
        assert_no_secret(&err, target.usersig());
    }
    let vendor = Vendor::start();
    vendor.answer(1_400_000_007, fail(100_002, "invalid parameter"));
    let target = target(&vendor, 1_400_000_007);
    let err = client().get_callback(&target).await.expect_err("api error");
    assert_eq!(vendor.requests().len(), 1, "never retried");
    assert!(
        matches!(&err, ApiError::Api { code: 100_002, info, .. } if info == "invalid parameter"),
        "{err:?}"
    );
    assert_eq!(err.request_id(), Some("Id-100002-O-Seq-9"));
}

#[tokio::test]
async fn each_auth_code_says_what_to_check() {
    let vendor = Vendor::start();
    vendor.answer(1, fail(70_016, "not found"));
    let err = client()
        .get_callback(&target(&vendor, 1))
        .await
        .expect_err("refused");
    let rendered = Renderer::new(Style::plain()).render(&err);
    assert!(rendered.contains("wrong `region`"), "{rendered}");
}

#[tokio::test]
async fn html_truncated_json_and_missing_fields_are_protocol_errors() {
    for (reply, expected) in [
        (
            Reply::body(200, "text/plain", "<html><body>Sign in</body></html>"),
            "<html>",
        ),
        (
            Reply::body(200, "text/plain", r#"{"ErrorCode":0,"Respo"#),
            "{\\\"ErrorCode",
        ),
        (
            ok(json!({"CallbackCommandList": []})).into(),
            "succeeded without Response.Url",
        ),
    ] {
        let vendor = Vendor::start();
        vendor.answer(1_400_000_008, reply);
        let target = target(&vendor, 1_400_000_008);
        let err = client().get_callback(&target).await.expect_err("protocol");
        assert_eq!(vendor.requests().len(), 1, "never retried");
        assert!(
            matches!(
                err,
                ApiError::Protocol { status: 200, .. } | ApiError::Incomplete { .. }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains(expected), "{err}");
        assert_no_secret(&err, target.usersig());
    }
}

#[tokio::test]
async fn replies_are_read_leniently_and_shown_safely() {
    let vendor = Vendor::start();
    let target = target(&vendor, 1_400_000_011);
    let usersig = target.usersig().expose().to_owned();
    // ErrorInfo null on an absent reply; a command list left out of a success.
    let mut absent = not_configured();
    absent["ErrorInfo"] = Value::Null;
    vendor.then(1_400_000_011, absent);
    assert!(matches!(
        client().get_callback(&target).await,
        Ok(Live::Absent { .. })
    ));
    // A vendor message echoing the request, a URL token and control characters.
    let echo = format!(
        "bad request usersig={usersig} for https://h/cb?token=SUPERSECRET {}[31m",
        '\u{1b}'
    );
    vendor.answer(1_400_000_011, fail(70_003, &echo));
    let err = client().get_callback(&target).await.expect_err("refused");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(&usersig[..20]), "{shown}");
    assert!(!shown.contains("SUPERSECRET"), "{shown}");
    assert!(!shown.contains('\u{1b}'), "{shown}");
    assert!(
        shown.contains("(redacted)") && shown.contains("token=***"),
        "{shown}"
    );

    let proxy = Vendor::start();
    let proxied = Target {
        base: proxy.uri().parse().expect("uri"),
        ..target.clone()
    };
    let encoded: String = url::form_urlencoded::byte_serialize(usersig.as_bytes()).collect();
    proxy.answer(
        1_400_000_011,
        Reply::body(403, "text/html", format!("<h1>denied {encoded}</h1>")),
    );
    let err = client().get_callback(&proxied).await.expect_err("protocol");
    assert!(!format!("{err}").contains(&encoded[..20]), "{err}");
}

#[tokio::test]
async fn slower_than_the_timeout_is_retried_then_reported() {
    let vendor = Vendor::start();
    vendor.answer(
        1_400_000_009,
        Reply::from(configured("https://h.example.com", &[])).after(Duration::from_secs(3)),
    );
    let target = target(&vendor, 1_400_000_009);
    let err = fast_client(2, Duration::from_millis(300))
        .get_callback(&target)
        .await
        .expect_err("timeout");
    let (attempts, reason) = gave_up(&err);
    assert_eq!(attempts, 2);
    assert!(reason.contains("timed out after 0.3s"), "{reason}");
    assert_eq!(vendor.requests().len(), 2);
    assert_no_secret(&err, target.usersig());
}

#[tokio::test]
async fn connection_refused_is_retried_then_reported_without_the_url() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let target = target_at(&format!("http://127.0.0.1:{port}"), 1_400_000_010);
    let usersig = target.usersig().clone();
    let err = fast_client(2, Duration::from_secs(2))
        .get_callback(&target)
        .await
        .expect_err("refused");
    let (attempts, reason) = gave_up(&err);
    assert_eq!(attempts, 2);
    assert!(reason.contains("connect"), "{reason}");
    assert!(!err.to_string().contains("usersig="), "{err}");
    assert_no_secret(&err, &usersig);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_is_bounded_and_results_keep_file_order() {
    let vendor = Vendor::start();
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let delay = Duration::from_millis(60);
    let arrived = Arc::clone(&arrivals);
    // Records when each request arrived, then answers after a fixed delay.
    vendor.answer_with(None, move |_| {
        arrived.lock().expect("lock").push(Instant::now());
        Reply::from(configured(
            "https://h.example.com/cb",
            &["Room.CallbackAfterCreateRoom"],
        ))
        .after(delay)
    });
    let concurrency = 4;
    let client = Client::new(ClientOptions {
        concurrency,
        ..ClientOptions::default()
    })
    .expect("client");
    let targets: Vec<Target> = (0..24)
        .map(|i| target(&vendor, 1_400_000_100 + i))
        .collect();
    let results = client.get_all(targets).await;
    assert_eq!(results.len(), 24);
    let mut asked: Vec<String> = vendor
        .requests()
        .iter()
        .filter_map(|r| r.query("sdkappid").map(str::to_owned))
        .collect();
    asked.sort();
    let expected: Vec<String> = (0..24)
        .map(|i| (1_400_000_100u64 + i).to_string())
        .collect();
    assert_eq!(asked, expected, "every app asked exactly once");
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Ok(Live::Present { .. })))
    );

    // A request can only start once one of the `concurrency` before it has been
    // answered, and each answer takes at least `delay` after arrival.
    let mut arrivals = arrivals.lock().expect("lock").clone();
    arrivals.sort();
    for window in arrivals.windows(concurrency + 1) {
        assert!(
            window[concurrency] - window[0] >= delay,
            "more than {concurrency} in flight"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_rps_caps_all_calls_together() {
    let vendor = Vendor::start();
    vendor.answer_with(None, |_| configured("https://h.example.com/cb", &[]).into());
    let client = Client::new(ClientOptions {
        max_rps: Some(20),
        ..ClientOptions::default()
    })
    .expect("client");
    let targets: Vec<Target> = (0..21)
        .map(|i| target(&vendor, 1_400_000_200 + i))
        .collect();
    let started = Instant::now();
    let results = client.get_all(targets).await;
    assert!(results.iter().all(Result::is_ok));
    // 21 calls at 20 per second cannot all be made within one second.
    assert!(
        started.elapsed() >= Duration::from_millis(1000),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_redirect_names_where_it_points_but_never_its_path_or_query() {
    for (location, expected) in [
        (
            Some("https://user:pw@elsewhere.example:8443/p?usersig=x"),
            RedirectTarget::Host("elsewhere.example:8443".into()),
        ),
        (
            Some("//elsewhere.example/p?q"),
            RedirectTarget::Host("elsewhere.example".into()),
        ),
        (Some("/login?next=here"), RedirectTarget::NoHost),
        (Some("http://[::1"), RedirectTarget::Unparsable),
        (None, RedirectTarget::Missing),
    ] {
        let vendor = Vendor::start();
        vendor.answer(
            1_400_000_012,
            location.map_or(Reply::status(302), |location| {
                Reply::redirect(302, location)
            }),
        );
        let target = target(&vendor, 1_400_000_012);
        let err = client().get_callback(&target).await.expect_err("refused");
        assert_eq!(vendor.requests().len(), 1, "never followed nor retried");
        assert_eq!(
            err,
            ApiError::Redirect {
                interface: "v4/room_config/get_callback",
                sdkappid: 1_400_000_012,
                status: 302,
                location: expected,
            }
        );
        let shown = err.to_string();
        assert!(shown.contains("HTTP 302 Found"), "{shown}");
        for hidden in ["user", "pw@", "/p", "usersig", "login", "next"] {
            assert!(!shown.contains(hidden), "{hidden} in {shown}");
        }
        assert_no_secret(&err, target.usersig());
    }
}

#[tokio::test]
async fn a_body_past_1_mib_is_not_read_and_not_retried() {
    let max = 1 << 20;
    // Exactly the cap: still read (JSON may end in whitespace).
    let mut at_cap =
        serde_json::to_vec(&ok(json!({"Url": "https://h.example.com/cb"}))).expect("json");
    at_cap.resize(max, b' ');
    let vendor = Vendor::start();
    vendor.answer(1_400_000_013, Reply::body(200, "application/json", at_cap));
    let live = client().get_callback(&target(&vendor, 1_400_000_013)).await;
    assert!(matches!(live, Ok(Live::Present { .. })), "{live:?}");
    assert_eq!(vendor.requests().len(), 1);

    let vendor = Vendor::start();
    vendor.answer(
        1_400_000_013,
        Reply::body(200, "application/json", vec![b' '; max + 1]),
    );
    let err = client()
        .get_callback(&target(&vendor, 1_400_000_013))
        .await
        .expect_err("too large");
    assert_eq!(vendor.requests().len(), 1, "not retried");
    assert_eq!(
        err,
        ApiError::TooLarge {
            interface: "v4/room_config/get_callback",
            sdkappid: 1_400_000_013,
            part: Oversized::Body,
        }
    );
    assert_eq!(
        err.to_string(),
        "v4/room_config/get_callback for sdkappid 1400000013 got a reply larger than 1 MiB; it was not read further"
    );
}

#[tokio::test]
async fn a_malformed_configuration_says_what_is_wrong_with_it() {
    for (response, expected) in [
        (
            json!({"Url": "https://h.example.com/cb", "CallbackCommandList": null}),
            "succeeded but Response.CallbackCommandList is null, not a list",
        ),
        (
            json!({"Url": "https://h.example.com/cb", "CallbackCommandList": "Room.CallbackAfterCreateRoom"}),
            "succeeded but Response.CallbackCommandList is not a list",
        ),
        (
            json!({"Url": "https://h.example.com/cb", "CallbackCommandList": ["Room.CallbackAfterCreateRoom", 7]}),
            "succeeded but Response.CallbackCommandList holds something that is not a string",
        ),
        (
            json!({"Url": 7, "CallbackCommandList": []}),
            "succeeded but Response.Url is not a string",
        ),
        (
            json!({"CallbackCommandList": []}),
            "succeeded without Response.Url",
        ),
        (json!(null), "succeeded without a Response"),
        (
            json!(["https://h.example.com/cb"]),
            "succeeded but Response is not an object",
        ),
    ] {
        let vendor = Vendor::start();
        vendor.answer(1_400_000_014, with_request_id(ok(response), "Id-5"));
        let err = client()
            .get_callback(&target(&vendor, 1_400_000_014))
            .await
            .expect_err("malformed");
        assert_eq!(vendor.requests().len(), 1, "not retried");
        assert!(matches!(err, ApiError::Incomplete { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            format!(
                "v4/room_config/get_callback for sdkappid 1400000014 {expected} [RequestId Id-5]"
            )
        );
    }
    // A list left out is an empty one.
    let vendor = Vendor::start();
    vendor.answer(
        1_400_000_014,
        ok(json!({"Url": "https://h.example.com/cb"})),
    );
    let live = client().get_callback(&target(&vendor, 1_400_000_014)).await;
    assert!(
        matches!(&live, Ok(Live::Present { config, .. }) if config.commands.is_empty()),
        "{live:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_observer_is_told_of_every_app_as_it_finishes_and_which_failed() {
    let vendor = Vendor::start();
    for i in 0..5 {
        vendor.room(1_400_000_200 + i, "https://h.example.com/cb", &[]);
    }
    vendor.answer(1_400_000_202, fail(70_009, "refused"));
    let ticks = Arc::new(Mutex::new(Vec::new()));
    let told = Arc::clone(&ticks);
    let client = Client::new(ClientOptions {
        observer: Observer::new(move |tick| told.lock().expect("lock").push(tick)),
        ..ClientOptions::default()
    })
    .expect("client");
    let targets: Vec<Target> = (0..5).map(|i| target(&vendor, 1_400_000_200 + i)).collect();
    let results = client.get_all(targets.clone()).await;
    assert_eq!(results.iter().filter(|r| r.is_err()).count(), 1);
    let mut told = ticks.lock().expect("lock").clone();
    told.sort_by_key(|tick| format!("{tick:?}"));
    assert_eq!(
        told,
        [
            Tick::Done { failed: false },
            Tick::Done { failed: false },
            Tick::Done { failed: false },
            Tick::Done { failed: false },
            Tick::Done { failed: true },
        ]
    );

    // A Live app's token read is part of its app's read: it is not counted apart.
    let live: Vec<Target> = targets
        .into_iter()
        .map(|t| Target {
            service: &Service::LIVE,
            ..t
        })
        .collect();
    let tokens = client.get_all_tokens(live).await;
    assert_eq!(tokens.len(), 5);
    assert_eq!(told_count(&ticks), 5);
}

fn told_count(ticks: &Mutex<Vec<Tick>>) -> usize {
    ticks.lock().map_or(0, |t| t.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deadline_cuts_a_call_off_and_says_whether_it_went_out() {
    let vendor = Vendor::start();
    vendor.answer(
        1_400_000_300,
        Reply::from(configured("https://h.example.com/cb", &[])).after(Duration::from_secs(60)),
    );
    let target = target(&vendor, 1_400_000_300);
    let with_deadline = |after| {
        Client::new(ClientOptions {
            deadline: Deadline::from_now(after),
            ..ClientOptions::default()
        })
        .expect("client")
    };

    let err = with_deadline(Duration::from_millis(300))
        .get_callback(&target)
        .await
        .expect_err("cut off");
    assert!(
        matches!(err, ApiError::Deadline { sent: true, .. }),
        "{err:?}"
    );
    assert!(
        err.may_have_taken_effect(),
        "a write cut off after it went out"
    );
    assert_eq!(
        err.to_string(),
        "v4/room_config/get_callback for sdkappid 1400000300 was not answered before the run deadline (--deadline 0.3) passed"
    );
    assert_no_secret(&err, target.usersig());

    let asked = vendor.requests().len();
    let err = with_deadline(Duration::ZERO)
        .delete_callback(&target)
        .await
        .expect_err("too late");
    assert!(
        matches!(err, ApiError::Deadline { sent: false, .. }),
        "{err:?}"
    );
    assert!(!err.may_have_taken_effect(), "nothing was sent");
    assert_eq!(
        vendor.requests().len(),
        asked,
        "no request is begun after the deadline"
    );
}
