//! Progressive profiling, People in My Life and the AI context: own data only, batches atomic, no N+1.

use fairydust_entities::{apps, user_profile_data};
use fairydust_tests::{Overrides, TestApp, TestUser};
use futures_util::future::join_all;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

const UPSERT: &str = "mutation U($items: [ProfileDataInput!]!) { upsertProfileData(items: $items) { fieldName fieldValue category source confidence } }";
const ADD_PERSON: &str =
    "mutation A($input: AddPersonInput!) { addPerson(input: $input) { id name relationship } }";
const PERSON_DATA: &str = "mutation P($id: ID!, $items: [ProfileDataInput!]!) { upsertPersonProfileData(personId: $id, items: $items) { fieldName } }";

async fn add_person(app: &TestApp, user: &TestUser, name: &str, relationship: &str) -> String {
    let added = app
        .gql_as(
            &user.token,
            ADD_PERSON,
            json!({ "input": { "name": name, "relationship": relationship } }),
        )
        .await;
    added.at("addPerson.id").as_str().unwrap().to_owned()
}

#[tokio::test]
async fn profile_facts_are_upserted_in_atomic_batches() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let items = json!([
        { "category": "cooking", "fieldName": "dietary_preferences", "fieldValue": ["vegetarian"], "source": "QUESTION" },
        { "category": "interests", "fieldName": "interests", "fieldValue": ["music", "travel"], "confidence": 0.8 },
    ]);
    let stored = app
        .gql_as(&user.token, UPSERT, json!({ "items": items }))
        .await;
    assert_eq!(stored.at("upsertProfileData").as_array().unwrap().len(), 2);

    let replaced = json!([{ "category": "cooking", "fieldName": "dietary_preferences", "fieldValue": ["vegan"] }]);
    app.gql_as(&user.token, UPSERT, json!({ "items": replaced }))
        .await
        .data();
    let cooking = app
        .gql_as(
            &user.token,
            "{ me { profileData(category: \"cooking\") { fieldName fieldValue source } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        cooking.at("me.profileData"),
        &json!([{ "fieldName": "dietary_preferences", "fieldValue": ["vegan"], "source": "USER_INPUT" }])
    );

    // One bad item: nothing of the batch is stored.
    let bad = json!([
        { "category": "goals", "fieldName": "lifestyle_goals", "fieldValue": ["health"] },
        { "category": "goals", "fieldName": "Bad Name", "fieldValue": 1 },
    ]);
    app.gql_as(&user.token, UPSERT, json!({ "items": bad }))
        .await
        .expect_error("BAD_USER_INPUT");
    let twice = json!([
        { "category": "a", "fieldName": "same", "fieldValue": 1 },
        { "category": "a", "fieldName": "same", "fieldValue": 2 },
    ]);
    app.gql_as(&user.token, UPSERT, json!({ "items": twice }))
        .await
        .expect_error("BAD_USER_INPUT");
    let confident =
        json!([{ "category": "a", "fieldName": "x", "fieldValue": 1, "confidence": 1.5 }]);
    app.gql_as(&user.token, UPSERT, json!({ "items": confident }))
        .await
        .expect_error("BAD_USER_INPUT");
    assert_eq!(
        user_profile_data::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        2
    );

    let delete = "mutation D($f: String!) { deleteProfileData(fieldName: $f) }";
    assert_eq!(
        app.gql_as(&user.token, delete, json!({ "f": "interests" }))
            .await
            .at("deleteProfileData"),
        true
    );
    app.gql_as(&user.token, delete, json!({ "f": "interests" }))
        .await
        .expect_error("NOT_FOUND");
}

#[tokio::test]
async fn people_belong_to_their_user_alone() {
    let app = TestApp::spawn().await;
    let alice = app.user().await;
    let mallory = app.user().await;
    let sam = add_person(&app, &alice, "Sam", "partner").await;

    let update = "mutation U($id: ID!, $input: UpdatePersonInput!) { updatePerson(id: $id, input: $input) { name relationship } }";
    let updated = app
        .gql_as(
            &alice.token,
            update,
            json!({ "id": sam, "input": { "relationship": null, "name": "Samantha" } }),
        )
        .await;
    assert_eq!(
        updated.at("updatePerson"),
        &json!({ "name": "Samantha", "relationship": null })
    );

    // Mallory can neither read nor change Alice's people.
    app.gql_as(
        &mallory.token,
        update,
        json!({ "id": sam, "input": { "name": "x" } }),
    )
    .await
    .expect_error("NOT_FOUND");
    app.gql_as(
        &mallory.token,
        "mutation R($id: ID!) { removePerson(id: $id) }",
        json!({ "id": sam }),
    )
    .await
    .expect_error("NOT_FOUND");
    let items = json!([{ "category": "likes", "fieldName": "hobby", "fieldValue": "chess" }]);
    app.gql_as(
        &mallory.token,
        PERSON_DATA,
        json!({ "id": sam, "items": items }),
    )
    .await
    .expect_error("NOT_FOUND");
    let hers = app
        .gql_as(&mallory.token, "{ me { people { id } } }", json!({}))
        .await;
    assert_eq!(hers.at("me.people"), &json!([]));
    let peek = app
        .gql_as(
            &mallory.token,
            "query P($id: ID!) { user(id: $id) { account { people { name } } } }",
            json!({ "id": alice.id }),
        )
        .await;
    assert!(peek.at("user.account").is_null());
    // And her profile facts stay hers.
    app.gql_as(
        &alice.token,
        UPSERT,
        json!({ "items": [{ "category": "c", "fieldName": "secret", "fieldValue": "x" }] }),
    )
    .await
    .data();
    let own = app
        .gql_as(
            &mallory.token,
            "{ me { profileData { fieldName } } }",
            json!({}),
        )
        .await;
    assert_eq!(own.at("me.profileData"), &json!([]));

    app.gql_as(
        &alice.token,
        PERSON_DATA,
        json!({ "id": sam, "items": items }),
    )
    .await
    .data();
    let removed = app
        .gql_as(
            &alice.token,
            "mutation R($id: ID!) { removePerson(id: $id) }",
            json!({ "id": sam }),
        )
        .await;
    assert_eq!(removed.at("removePerson"), true);
    app.gql(ADD_PERSON, json!({ "input": { "name": "x" } }))
        .await
        .expect_error("UNAUTHENTICATED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_people_cap_holds_even_when_people_are_added_in_parallel() {
    let app = TestApp::spawn_with(Overrides::default().set("PROFILE_MAX_PEOPLE", "10")).await;
    let user = app.user().await;
    for i in 0..5 {
        add_person(&app, &user, &format!("Person {i}"), "friend").await;
    }
    let answers = join_all((0..10).map(|i| {
        app.gql_as(
            &user.token,
            ADD_PERSON,
            json!({ "input": { "name": format!("Late {i}") } }),
        )
    }))
    .await;
    assert_eq!(answers.iter().filter(|a| a.errors().is_empty()).count(), 5);
    assert!(
        answers
            .iter()
            .filter(|a| !a.errors().is_empty())
            .all(|a| a.code() == Some("BAD_USER_INPUT")),
        "{answers:#?}"
    );
    let people = app
        .gql_as(&user.token, "{ me { people { id } } }", json!({}))
        .await;
    assert_eq!(people.at("me.people").as_array().unwrap().len(), 10);
}

#[tokio::test]
async fn facts_and_values_are_capped_per_user() {
    let limits = Overrides::default()
        .set("PROFILE_MAX_FACTS", "3")
        .set("PROFILE_MAX_VALUE_BYTES", "64");
    let app = TestApp::spawn_with(limits).await;
    let user = app.user().await;
    let fact = |name: &str| json!({ "category": "misc", "fieldName": name, "fieldValue": "x" });
    app.gql_as(
        &user.token,
        UPSERT,
        json!({ "items": [fact("a"), fact("b")] }),
    )
    .await
    .data();
    // The batch that would make four is refused whole.
    app.gql_as(
        &user.token,
        UPSERT,
        json!({ "items": [fact("c"), fact("d")] }),
    )
    .await
    .expect_error("BAD_USER_INPUT");
    // Replacing a stored fact takes no room.
    app.gql_as(
        &user.token,
        UPSERT,
        json!({ "items": [fact("a"), fact("c")] }),
    )
    .await
    .data();
    app.gql_as(&user.token, UPSERT, json!({ "items": [fact("d")] }))
        .await
        .expect_error("BAD_USER_INPUT");
    let big = json!({ "category": "misc", "fieldName": "a", "fieldValue": "y".repeat(80) });
    app.gql_as(&user.token, UPSERT, json!({ "items": [big] }))
        .await
        .expect_error("BAD_USER_INPUT");
    assert_eq!(
        user_profile_data::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        3
    );

    // Facts about people share one cap of their own.
    let sam = add_person(&app, &user, "Sam", "partner").await;
    let mia = add_person(&app, &user, "Mia", "daughter").await;
    app.gql_as(
        &user.token,
        PERSON_DATA,
        json!({ "id": sam, "items": [fact("a"), fact("b")] }),
    )
    .await
    .data();
    app.gql_as(
        &user.token,
        PERSON_DATA,
        json!({ "id": mia, "items": [fact("a")] }),
    )
    .await
    .data();
    app.gql_as(
        &user.token,
        PERSON_DATA,
        json!({ "id": mia, "items": [fact("b")] }),
    )
    .await
    .expect_error("BAD_USER_INPUT");
}

#[tokio::test]
async fn the_ai_context_is_only_for_apps_on_the_marketplace() {
    let app = TestApp::spawn().await;
    let (user, builder) = (app.user().await, app.builder().await);
    let query = "query C($app: ID!) { aiContext(appId: $app) { text } }";
    let made_up = uuid::Uuid::new_v4();
    app.gql_as(&user.token, query, json!({ "app": made_up }))
        .await
        .expect_error("NOT_FOUND");
    let cache = &app.app.state.app.cache;
    assert!(
        cache
            .get(&format!("ai-context:{}:0:{made_up}", user.id))
            .await
            .unwrap()
            .is_none(),
        "nothing cached for a made-up app"
    );

    let listed = app.priced_app(builder.id, &[]).await;
    app.gql_as(&user.token, query, json!({ "app": listed.id }))
        .await
        .data();
    apps::Entity::update_many()
        .col_expr(
            apps::Column::Status,
            Expr::value(apps::AppStatus::Suspended),
        )
        .filter(apps::Column::Id.eq(listed.id))
        .exec(&app.db)
        .await
        .unwrap();
    fairydust_schema::apps::catalog::invalidate(&**cache, listed.id)
        .await
        .unwrap();
    app.gql_as(&user.token, query, json!({ "app": listed.id }))
        .await
        .expect_error("NOT_FOUND");
    app.gql_as(&user.token, query, json!({ "app": listed.slug }))
        .await
        .expect_error("NOT_FOUND");
    // Its builder may still try their own app out.
    app.gql_as(&builder.token, query, json!({ "app": listed.id }))
        .await
        .data();
}

#[tokio::test]
async fn people_with_their_facts_load_in_a_constant_number_of_statements() {
    let app = TestApp::spawn().await;
    let query = "{ me { people { name profileData { fieldName fieldValue } } } }";
    let mut counts = Vec::new();
    for people in [2, 12] {
        let user = app.user().await;
        for i in 0..people {
            let id = add_person(&app, &user, &format!("P{i}"), "friend").await;
            let items =
                json!([{ "category": "likes", "fieldName": "color", "fieldValue": "blue" }]);
            app.gql_as(
                &user.token,
                PERSON_DATA,
                json!({ "id": id, "items": items }),
            )
            .await
            .data();
        }
        let before = app.statements.get();
        let answer = app.gql_as(&user.token, query, json!({})).await;
        counts.push(app.statements.get() - before);
        assert_eq!(answer.at("me.people").as_array().unwrap().len(), people);
        assert!(
            answer
                .at("me.people")
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["profileData"].as_array().unwrap().len() == 1)
        );
    }
    assert_eq!(
        counts[0], counts[1],
        "statements for 2 people vs 12 people: {counts:?}"
    );
}

#[tokio::test]
async fn the_ai_context_summarises_and_refreshes_after_changes() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    app.gql_as(
        &user.token,
        "mutation { updateMe(input: {firstName: \"Ada\", city: \"Oslo\"}) { id } }",
        json!({}),
    )
    .await
    .data();
    app.gql_as(&user.token, UPSERT, json!({ "items": [{ "category": "interests", "fieldName": "interests", "fieldValue": ["music", "travel"] }] })).await.data();
    let sam = add_person(&app, &user, "Sam", "partner").await;
    app.gql_as(&user.token, PERSON_DATA, json!({ "id": sam, "items": [{ "category": "likes", "fieldName": "favorite_food", "fieldValue": "ramen" }] })).await.data();

    let query = "query C($app: ID!) { aiContext(appId: $app) { text json } }";
    let context = app
        .gql_as(&user.token, query, json!({ "app": "fairydust-story" }))
        .await;
    let text = context.at("aiContext.text").as_str().unwrap().to_owned();
    for expected in [
        "First name: Ada.",
        "Lives in Oslo.",
        "Interests: music, travel.",
        "- Sam (partner): favorite food ramen",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    assert_eq!(
        context.at("aiContext.json.people.0.traits.favorite_food"),
        "ramen"
    );

    // Cached: served again without rebuilding; then a change shows at once.
    let before = app.statements.get();
    app.gql_as(&user.token, query, json!({ "app": "fairydust-story" }))
        .await
        .data();
    let cached_statements = app.statements.get() - before;
    app.gql_as(
        &user.token,
        ADD_PERSON,
        json!({ "input": { "name": "Mia", "relationship": "daughter" } }),
    )
    .await
    .data();
    let fresh = app
        .gql_as(&user.token, query, json!({ "app": "fairydust-story" }))
        .await;
    assert!(
        fresh
            .at("aiContext.text")
            .as_str()
            .unwrap()
            .contains("Mia (daughter)")
    );
    assert!(
        cached_statements <= 1,
        "the cached context needs at most the app lookup: {cached_statements}"
    );
    app.gql_as(&user.token, query, json!({ "app": "no-such-app" }))
        .await
        .expect_error("NOT_FOUND");
    let _: &Value = context.at("aiContext.json");
}
