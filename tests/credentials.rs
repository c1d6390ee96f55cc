//! Credentials and hosts: from the environment and the file, never the other way round.

use cbcheck::Env;
use cbcheck::testing::{
    AllowedHost, App, Credential, CredentialError, Declared, Secret, resolve_credential,
    resolve_endpoint,
};

use crate::support::load;

fn app(extra: &str) -> App {
    let yaml = format!(
        "version: 1\napps:\n  - sdkappid: 1400000001\n    region: seoul\n    identifier: admin\n{extra}    callback:\n      url: https://h.example.com/cb\n      commands: [Room.CallbackAfterCreateRoom]\n"
    );
    let loaded = load(&yaml);
    loaded.config.expect("valid test app").apps.remove(0)
}

fn env(vars: &[(&str, &str)]) -> Env {
    Env::of(vars.iter().copied())
}

fn chosen(credential: &Credential) -> &str {
    match credential {
        Credential::SecretKey { variable, .. } | Credential::UserSig { variable, .. } => variable,
    }
}

#[test]
fn variables_are_tried_in_the_documented_order() {
    let with_env = app("    secret_key_env: PROD_KEY\n");
    let all = [
        ("PROD_KEY", "k1"),
        ("CBCHECK_SECRET_KEY_1400000001", "k2"),
        (
            "CBCHECK_SECRET_KEYS",
            r#"{"1400000001": "m1", "1400000002": "m2"}"#,
        ),
        ("CBCHECK_SECRET_KEY", "k3"),
        ("CBCHECK_USERSIG_1400000001", "s1"),
        ("CBCHECK_USERSIG", "s2"),
    ];
    for skip in 0..all.len() {
        let credential = resolve_credential(&with_env, &env(&all[skip..])).expect("found");
        assert_eq!(chosen(&credential), all[skip].0);
        let is_key = matches!(credential, Credential::SecretKey { .. });
        assert_eq!(is_key, skip < 4, "{}", all[skip].0);
    }
    // An empty variable counts as unset.
    let credential = resolve_credential(
        &with_env,
        &env(&[("PROD_KEY", " "), ("CBCHECK_SECRET_KEY", "k")]),
    )
    .expect("found");
    assert_eq!(chosen(&credential), "CBCHECK_SECRET_KEY");
}

#[test]
fn missing_credentials_name_every_variable_tried() {
    let Err(CredentialError::Missing(err)) = resolve_credential(&app(""), &env(&[])) else {
        panic!("none set");
    };
    assert_eq!(
        err.tried,
        [
            "CBCHECK_SECRET_KEY_1400000001",
            "CBCHECK_SECRET_KEYS",
            "CBCHECK_SECRET_KEYS_FILE",
            "CBCHECK_SECRET_KEY_COMMAND",
            "CBCHECK_SECRET_KEY",
            "CBCHECK_USERSIG_1400000001",
            "CBCHECK_USERSIG"
        ]
    );
    let message = err.to_string();
    assert!(message.contains("sdkappid 1400000001"), "{message}");
    assert!(message.contains("CBCHECK_USERSIG_1400000001"), "{message}");
}

#[test]
fn a_key_mints_a_fresh_token_and_a_usersig_is_used_as_given() {
    let app = app("");
    let key =
        resolve_credential(&app, &env(&[("CBCHECK_SECRET_KEY", "secret-key-value")])).expect("key");
    let lazy = key.usersig(app.sdkappid, &app.identifier, 1_764_201_600);
    let unmade = format!("{lazy:?}");
    let twin = lazy.clone();
    let token = lazy.get().clone();
    let made = format!("{lazy:?}");
    // A clone taken before the token was made shares it: made once, not once per clone.
    assert!(std::ptr::eq(twin.get(), lazy.get()));
    assert!(!token.expose().is_empty());
    assert_ne!(token.expose(), "secret-key-value");
    let given = resolve_credential(&app, &env(&[("CBCHECK_USERSIG", "ready-token")])).expect("sig");
    assert_eq!(
        given.usersig(app.sdkappid, &app.identifier, 0).get(),
        &Secret::new("ready-token")
    );
    for shown in [
        format!("{key:?}"),
        format!("{given:?}"),
        format!("{token}"),
        unmade,
        made,
    ] {
        assert!(
            !shown.contains("secret-key-value")
                && !shown.contains("ready-token")
                && !shown.contains(token.expose()),
            "{shown}"
        );
    }
}

#[test]
fn hosts_come_from_region_endpoint_or_the_global_override() {
    let by_region = resolve_endpoint(&declared(&app("")), None, &[]).expect("a vendor host");
    assert_eq!(by_region.base.as_str(), "https://adminapikr.im.qcloud.com/");
    assert_eq!(by_region.insecure_warning, None);

    let proxied = app("    endpoint: https://proxy.example.com/tencent\n");
    let allowed: Vec<AllowedHost> = vec!["proxy.example.com".parse().expect("entry")];
    assert_eq!(
        resolve_endpoint(&declared(&proxied), None, &allowed)
            .expect("allowed")
            .base
            .as_str(),
        "https://proxy.example.com/tencent"
    );
    assert!(
        resolve_endpoint(&declared(&proxied), None, &[]).is_err(),
        "a host the operator did not allow"
    );

    let local: url::Url = "http://127.0.0.1:8080".parse().expect("url");
    let overridden =
        resolve_endpoint(&declared(&proxied), Some(&local), &[]).expect("the operator's");
    assert_eq!(overridden.base, local);
    assert_eq!(
        overridden.insecure_warning, None,
        "plain http to loopback is for tests"
    );

    let remote: url::Url = "http://proxy.example.com".parse().expect("url");
    let warned = resolve_endpoint(&declared(&proxied), Some(&remote), &[]).expect("the operator's");
    assert!(
        warned
            .insecure_warning
            .expect("warned")
            .contains("plain http")
    );
}

/// What `resolve` needs of an app.
fn declared(app: &App) -> Declared {
    Declared {
        sdkappid: app.sdkappid,
        region: app.region,
        endpoint: app.endpoint.clone(),
    }
}
