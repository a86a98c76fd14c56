//! Profiling questions: asked by app, use and priority; answered into the profile; paid once, even
//! under concurrency; private to their user; a catalogue only admins change, with an audit trail.

use fairydust_entities::{admin_audit_log, dust_transactions, question_responses, users};
use fairydust_schema::ledger::{self, Entry, TransactionKind};
use fairydust_tests::{Gql, TestApp, TestUser};
use futures_util::future::join_all;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

const ASKED: &str = "query Q($app: ID!) { profilingQuestions(appId: $app) { id type priority } }";
const ANSWER: &str = "mutation A($answers: [QuestionAnswerInput!]!) {
  answerQuestions(answers: $answers) { dustGranted balance answers { value dustReward question { id } } }
}";
const MY_ANSWERS: &str =
    "{ myAnswers { value dustReward answeredAt question { id type profileField } } }";
const CREATE: &str = "mutation C($input: CreateQuestionInput!) {
  createQuestion(input: $input) { id type priority options appContext minAppUses dustReward isActive }
}";
const UPDATE: &str = "mutation U($id: ID!, $input: UpdateQuestionInput!) {
  updateQuestion(id: $id, input: $input) { id text type priority options dustReward }
}";
const SET_ACTIVE: &str = "mutation S($id: ID!, $active: Boolean!) { setQuestionActive(id: $id, active: $active) { isActive } }";
const DELETE: &str =
    "mutation D($id: ID!, $reason: String!) { deleteQuestion(id: $id, reason: $reason) }";
const STATS: &str = "{ questionStats { question { id } answers dustGranted } }";

async fn answer(app: &TestApp, user: &TestUser, answers: Value) -> Gql {
    app.gql_as(&user.token, ANSWER, json!({ "answers": answers }))
        .await
}

async fn answer_one(app: &TestApp, user: &TestUser, question: &str, value: Value) -> Gql {
    answer(
        app,
        user,
        json!([{ "questionId": question, "value": value }]),
    )
    .await
}

async fn asked(app: &TestApp, user: &TestUser, app_ref: &str) -> Vec<String> {
    let answer = app
        .gql_as(&user.token, ASKED, json!({ "app": app_ref }))
        .await;
    answer
        .at("profilingQuestions")
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn create(app: &TestApp, admin: &TestUser, input: Value) -> Gql {
    app.gql_as(&admin.token, CREATE, json!({ "input": input }))
        .await
}

async fn audit_actions(app: &TestApp) -> Vec<(String, String, Option<uuid::Uuid>)> {
    admin_audit_log::Entity::find()
        .filter(admin_audit_log::Column::TargetType.eq("profiling_question"))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|row| (row.action, row.target_id, row.actor_id))
        .collect()
}

async fn rewards_of(app: &TestApp, user: &TestUser) -> Vec<dust_transactions::Model> {
    dust_transactions::Entity::find()
        .filter(dust_transactions::Column::UserId.eq(user.id))
        .filter(dust_transactions::Column::Kind.eq("reward"))
        .all(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn questions_are_asked_by_app_and_uses_highest_priority_first_until_answered() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let admin = app.admin().await;
    assert_eq!(
        asked(&app, &user, "fairydust-recipe").await,
        [
            "dietary_preferences",
            "creativity_level",
            "cooking_skill_level",
            "cooking_frequency"
        ]
    );
    assert_eq!(
        asked(&app, &user, "fairydust-inspire").await,
        [
            "interests_hobbies",
            "adventure_level",
            "lifestyle_goals",
            "creativity_level",
            "social_preference"
        ]
    );
    assert!(asked(&app, &user, "fairydust-story").await.is_empty());

    // An empty app list asks everywhere; minAppUses waits for that many uses of the app.
    let owner = app.builder().await;
    let priced = app.priced_app(owner.id, &[("tap", 1)]).await;
    let everywhere = json!({ "id": "favourite_season", "category": "personality", "text": "Favourite season?",
        "type": "SINGLE_CHOICE", "profileField": "favourite_season", "priority": 3,
        "options": [{ "value": "summer", "label": "Summer" }, { "value": "winter", "label": "Winter" }] });
    create(&app, &admin, everywhere).await.data();
    let regular = json!({ "id": "tap_style", "category": "habits", "text": "How do you tap?", "type": "TEXT",
        "profileField": "tap_style", "priority": 10, "appContext": [priced.slug], "minAppUses": 2 });
    create(&app, &admin, regular).await.data();
    assert_eq!(
        asked(&app, &user, "fairydust-story").await,
        ["favourite_season"]
    );
    assert_eq!(asked(&app, &user, &priced.slug).await, ["favourite_season"]);
    for key in ["use-1", "use-2"] {
        let input =
            json!({ "appId": priced.slug, "action": "tap", "quantity": 1, "idempotencyKey": key });
        app.gql_as(
            &user.token,
            "mutation C($input: ConsumeDustInput!) { consumeDust(input: $input) { id } }",
            json!({ "input": input }),
        )
        .await
        .data();
        let unlocked = asked(&app, &user, &priced.id.to_string()).await;
        assert_eq!(unlocked.contains(&"tap_style".to_owned()), key == "use-2");
    }
    assert_eq!(
        asked(&app, &user, &priced.slug).await,
        ["tap_style", "favourite_season"],
        "by app id or slug, highest priority first"
    );

    // Answered questions are not asked again (of this user).
    answer_one(&app, &user, "dietary_preferences", json!(["vegan"]))
        .await
        .data();
    assert_eq!(
        asked(&app, &user, "fairydust-recipe").await,
        [
            "creativity_level",
            "cooking_skill_level",
            "cooking_frequency",
            "favourite_season"
        ]
    );
    let other = app.user().await;
    assert_eq!(asked(&app, &other, "fairydust-recipe").await.len(), 5);

    app.gql_as(&user.token, ASKED, json!({ "app": "no-such-app" }))
        .await
        .expect_error("NOT_FOUND");
    app.gql(ASKED, json!({ "app": "fairydust-recipe" }))
        .await
        .expect_error("UNAUTHENTICATED");
}

#[tokio::test]
async fn a_question_pays_once_and_a_second_answer_only_replaces_the_value() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let first = answer(
        &app,
        &user,
        json!([
            { "questionId": "cooking_skill_level", "value": "beginner" },
            { "questionId": "creativity_level", "value": 4 },
        ]),
    )
    .await;
    assert_eq!(first.at("answerQuestions.dustGranted"), 4);
    assert_eq!(first.at("answerQuestions.balance"), 29);
    assert_eq!(
        first.at("answerQuestions.answers.0"),
        &json!({ "value": "beginner", "dustReward": 2, "question": { "id": "cooking_skill_level" } })
    );

    let again = answer_one(&app, &user, "cooking_skill_level", json!("expert")).await;
    assert_eq!(again.at("answerQuestions.dustGranted"), 0);
    assert_eq!(again.at("answerQuestions.balance"), 29);
    assert_eq!(app.balance(user.id).await, 29);
    assert_eq!(again.at("answerQuestions.answers.0.value"), "expert");
    assert_eq!(
        again.at("answerQuestions.answers.0.dustReward"),
        2,
        "what the first answer earned"
    );

    // The rewards are `reward` transactions, one per question.
    let rewards = rewards_of(&app, &user).await;
    assert_eq!(rewards.len(), 2);
    assert!(rewards.iter().all(|row| row.amount == 2));
    let history = app
        .gql_as(
            &user.token,
            "{ me { dustTransactions(type: REWARD) { nodes { amount type description } } } }",
            json!({}),
        )
        .await;
    let nodes = history.at("me.dustTransactions.nodes").as_array().unwrap();
    assert_eq!(nodes.len(), 2);
    assert!(nodes.contains(
        &json!({ "amount": 2, "type": "REWARD", "description": "Answered: cooking_skill_level" })
    ));

    // The answer is in the profile, from a question.
    let profile = app
        .gql_as(
            &user.token,
            "{ me { profileData(category: \"cooking\") { fieldName fieldValue source confidence } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        profile.at("me.profileData"),
        &json!([{ "fieldName": "cooking_skill_level", "fieldValue": "expert", "source": "QUESTION", "confidence": 1.0 }])
    );

    // Each call is a profiling session.
    let stored = users::Entity::find_by_id(user.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.total_profiling_sessions, 2);
    assert!(stored.last_profiling_session_at.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_identical_answers_in_parallel_pay_once() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let answers = join_all(
        (0..5).map(|_| answer_one(&app, &user, "social_preference", json!("small_group"))),
    )
    .await;
    let granted: i64 = answers
        .iter()
        .map(|a| a.at("answerQuestions.dustGranted").as_i64().unwrap())
        .sum();
    assert_eq!(granted, 2, "{answers:#?}");
    assert_eq!(app.balance(user.id).await, 27);
    assert_eq!(rewards_of(&app, &user).await.len(), 1);
    let responses = question_responses::Entity::find()
        .filter(question_responses::Column::UserId.eq(user.id))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(responses, 1);
}

/// The ledger's idempotency key is the last word on "paid once": when it already holds the reward
/// (as a concurrent call would have committed it), the answer is stored and nothing is paid. On
/// PostgreSQL this also proves the refused insert does not abort the rest of the transaction.
#[tokio::test]
async fn a_reward_already_in_the_ledger_is_not_paid_twice() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let earlier = Entry {
        idempotency_key: Some("question:social_preference".into()),
        ..Entry::new(user.id, 2, TransactionKind::Reward).described("Answered: social_preference")
    };
    ledger::post(&app.db, earlier).await.unwrap();

    let answered = answer_one(&app, &user, "social_preference", json!("solo")).await;
    assert_eq!(answered.at("answerQuestions.dustGranted"), 0);
    assert_eq!(answered.at("answerQuestions.balance"), 27);
    assert_eq!(answered.at("answerQuestions.answers.0.dustReward"), 0);
    assert_eq!(rewards_of(&app, &user).await.len(), 1);
    let profile = app
        .gql_as(
            &user.token,
            "{ me { profileData { fieldName fieldValue } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        profile.at("me.profileData"),
        &json!([{ "fieldName": "social_preference", "fieldValue": "solo" }])
    );
}

#[tokio::test]
async fn an_inactive_question_is_neither_asked_nor_accepted() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let admin = app.admin().await;
    let deactivated = app
        .gql_as(
            &admin.token,
            SET_ACTIVE,
            json!({ "id": "cooking_frequency", "active": false }),
        )
        .await;
    assert_eq!(deactivated.at("setQuestionActive.isActive"), false);
    assert!(
        !asked(&app, &user, "fairydust-recipe")
            .await
            .contains(&"cooking_frequency".to_owned())
    );
    answer_one(&app, &user, "cooking_frequency", json!("daily"))
        .await
        .expect_error("NOT_FOUND");
    answer_one(&app, &user, "no_such_question", json!("x"))
        .await
        .expect_error("NOT_FOUND");
    assert_eq!(app.balance(user.id).await, 25);

    app.gql_as(
        &admin.token,
        SET_ACTIVE,
        json!({ "id": "cooking_frequency", "active": true }),
    )
    .await
    .data();
    answer_one(&app, &user, "cooking_frequency", json!("daily"))
        .await
        .data();
}

#[tokio::test]
async fn malformed_answers_are_refused_and_nothing_of_the_call_is_stored() {
    let app = TestApp::spawn().await;
    let user = app.user().await;
    let admin = app.admin().await;
    create(
        &app,
        &admin,
        json!({ "id": "dream_trip", "category": "travel", "text": "Your dream trip?",
        "type": "TEXT", "profileField": "dream_trip", "priority": 4, "dustReward": 1 }),
    )
    .await
    .data();
    let cases = [
        ("cooking_skill_level", json!("chef")),
        ("cooking_skill_level", json!(["beginner"])),
        ("cooking_skill_level", json!(1)),
        ("dietary_preferences", json!([])),
        ("dietary_preferences", json!(["vegan", "vegan"])),
        ("dietary_preferences", json!(["meat"])),
        ("dietary_preferences", json!("vegan")),
        ("adventure_level", json!(0)),
        ("adventure_level", json!(6)),
        ("adventure_level", json!(2.5)),
        ("adventure_level", json!("3")),
        ("dream_trip", json!("   ")),
        ("dream_trip", json!("x".repeat(1001))),
        ("dream_trip", json!(42)),
        ("dream_trip", Value::Null),
    ];
    for (question, value) in cases {
        let refused = answer(
            &app,
            &user,
            json!([
                { "questionId": "interests_hobbies", "value": ["music"] },
                { "questionId": question, "value": value },
            ]),
        )
        .await;
        refused.expect_error("BAD_USER_INPUT");
    }
    let twice = json!([
        { "questionId": "adventure_level", "value": 2 },
        { "questionId": "adventure_level", "value": 3 },
    ]);
    answer(&app, &user, twice)
        .await
        .expect_error("BAD_USER_INPUT");
    answer(&app, &user, json!([]))
        .await
        .expect_error("BAD_USER_INPUT");
    let too_many: Vec<Value> = (0..21)
        .map(|i| json!({ "questionId": format!("q{i}"), "value": 1 }))
        .collect();
    answer(&app, &user, json!(too_many))
        .await
        .expect_error("BAD_USER_INPUT");

    assert_eq!(app.balance(user.id).await, 25);
    let my = app.gql_as(&user.token, MY_ANSWERS, json!({})).await;
    assert_eq!(my.at("myAnswers"), &json!([]));
    let trip = answer_one(&app, &user, "dream_trip", json!("  Lisbon by train ")).await;
    assert_eq!(
        trip.at("answerQuestions.answers.0.value"),
        "Lisbon by train"
    );
}

#[tokio::test]
async fn answers_are_read_by_their_user_alone_without_n_plus_one() {
    let app = TestApp::spawn().await;
    let alice = app.user().await;
    let bob = app.user().await;
    answer_one(&app, &alice, "interests_hobbies", json!(["art", "travel"]))
        .await
        .data();
    let hers = app.gql_as(&alice.token, MY_ANSWERS, json!({})).await;
    assert_eq!(
        hers.at("myAnswers.0.question"),
        &json!({ "id": "interests_hobbies", "type": "MULTI_SELECT", "profileField": "interests" })
    );
    assert_eq!(hers.at("myAnswers.0.value"), &json!(["art", "travel"]));
    assert_eq!(hers.at("myAnswers.0.dustReward"), 2);
    let his = app.gql_as(&bob.token, MY_ANSWERS, json!({})).await;
    assert_eq!(his.at("myAnswers"), &json!([]));
    app.gql(MY_ANSWERS, json!({}))
        .await
        .expect_error("UNAUTHENTICATED");
    app.gql(
        ANSWER,
        json!({ "answers": [{ "questionId": "interests_hobbies", "value": ["art"] }] }),
    )
    .await
    .expect_error("UNAUTHENTICATED");

    // One answer or seven: the same number of statements.
    let mut counts = Vec::new();
    for user in [&alice, &bob] {
        if user.id == bob.id {
            let seven = json!([
                { "questionId": "interests_hobbies", "value": ["music"] },
                { "questionId": "adventure_level", "value": 3 },
                { "questionId": "creativity_level", "value": 5 },
                { "questionId": "dietary_preferences", "value": ["none"] },
                { "questionId": "cooking_skill_level", "value": "advanced" },
                { "questionId": "lifestyle_goals", "value": ["health", "family"] },
                { "questionId": "social_preference", "value": "varies" },
            ]);
            answer(&app, &bob, seven).await.data();
        }
        let before = app.statements.get();
        let listed = app.gql_as(&user.token, MY_ANSWERS, json!({})).await;
        counts.push(app.statements.get() - before);
        assert!(!listed.at("myAnswers").as_array().unwrap().is_empty());
    }
    assert_eq!(counts[0], counts[1], "statements for 1 vs 7 answers");
}

#[tokio::test]
async fn only_admins_change_the_catalogue_and_every_change_is_validated_and_audited() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let user = app.user().await;
    let valid = json!({ "id": "morning_person", "category": "personality", "text": "Are you a morning person?",
        "type": "SCALE", "profileField": "morning_person", "priority": 6,
        "options": { "min": 1, "max": 3, "labels": { "1": "Night owl", "3": "Early bird" } },
        "appContext": ["fairydust-inspire"], "dustReward": 3 });

    for (query, variables) in [
        (CREATE, json!({ "input": valid })),
        (
            UPDATE,
            json!({ "id": "adventure_level", "input": { "priority": 1 } }),
        ),
        (
            SET_ACTIVE,
            json!({ "id": "adventure_level", "active": false }),
        ),
        (
            DELETE,
            json!({ "id": "adventure_level", "reason": "Unused" }),
        ),
        (STATS, json!({})),
    ] {
        app.gql_as(&user.token, query, variables.clone())
            .await
            .expect_error("FORBIDDEN");
        app.gql(query, variables)
            .await
            .expect_error("UNAUTHENTICATED");
    }

    let created = create(&app, &admin, valid.clone()).await;
    assert_eq!(
        created.at("createQuestion"),
        &json!({ "id": "morning_person", "type": "SCALE", "priority": 6,
            "options": { "min": 1, "max": 3, "labels": { "1": "Night owl", "3": "Early bird" } },
            "appContext": ["fairydust-inspire"], "minAppUses": 0, "dustReward": 3, "isActive": true })
    );
    create(&app, &admin, valid.clone())
        .await
        .expect_error("CONFLICT");
    let with = |changes: Value| {
        let mut input = valid.clone();
        input["id"] = json!("another_question");
        for (key, value) in changes.as_object().unwrap() {
            input[key] = value.clone();
        }
        input
    };
    for bad in [
        json!({ "id": "Not A Slug" }),
        json!({ "category": "Personality" }),
        json!({ "profileField": "" }),
        json!({ "text": " " }),
        json!({ "priority": 11 }),
        json!({ "priority": 0 }),
        json!({ "dustReward": 101 }),
        json!({ "minAppUses": -1 }),
        json!({ "appContext": ["no-such-app"] }),
        json!({ "appContext": ["fairydust-inspire", "fairydust-inspire"] }),
        json!({ "options": { "min": 3, "max": 3 } }),
        json!({ "type": "SINGLE_CHOICE" }),
        json!({ "type": "MULTI_SELECT", "options": [{ "value": "only", "label": "Only" }] }),
        json!({ "type": "TEXT" }),
    ] {
        create(&app, &admin, with(bad.clone()))
            .await
            .expect_error("BAD_USER_INPUT");
    }

    // A partial update keeps the other fields; a type that does not fit the options is refused.
    let updated = app
        .gql_as(
            &admin.token,
            UPDATE,
            json!({ "id": "morning_person", "input": { "priority": 9, "text": "Morning or night?" } }),
        )
        .await;
    assert_eq!(updated.at("updateQuestion.priority"), 9);
    assert_eq!(updated.at("updateQuestion.text"), "Morning or night?");
    assert_eq!(updated.at("updateQuestion.type"), "SCALE");
    assert_eq!(updated.at("updateQuestion.dustReward"), 3);
    app.gql_as(
        &admin.token,
        UPDATE,
        json!({ "id": "morning_person", "input": { "type": "SINGLE_CHOICE" } }),
    )
    .await
    .expect_error("BAD_USER_INPUT");
    app.gql_as(
        &admin.token,
        UPDATE,
        json!({ "id": "no_such_question", "input": { "priority": 2 } }),
    )
    .await
    .expect_error("NOT_FOUND");

    // A question with answers stays (the foreign key restricts); one without goes.
    answer_one(&app, &user, "morning_person", json!(3))
        .await
        .data();
    let delete = |id: &str, reason: &str| json!({ "id": id, "reason": reason });
    app.gql_as(&admin.token, DELETE, delete("morning_person", "Duplicate"))
        .await
        .expect_error("CONFLICT");
    // A destructive admin action needs a reason, which the audit log keeps.
    app.gql_as(&admin.token, DELETE, delete("cooking_frequency", "  "))
        .await
        .expect_error("BAD_USER_INPUT");
    let deleted = app
        .gql_as(
            &admin.token,
            DELETE,
            delete("cooking_frequency", "Asked elsewhere"),
        )
        .await;
    assert_eq!(deleted.at("deleteQuestion"), true);
    let audit = app
        .gql_as(
            &admin.token,
            "{ adminAuditLog(action: \"questions.delete\") { nodes { targetId reason } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        audit.at("adminAuditLog.nodes"),
        &json!([{ "targetId": "cooking_frequency", "reason": "Asked elsewhere" }])
    );
    app.gql_as(&admin.token, DELETE, delete("cooking_frequency", "Again"))
        .await
        .expect_error("NOT_FOUND");

    let stats = app.gql_as(&admin.token, STATS, json!({})).await;
    let stats = stats.at("questionStats").as_array().unwrap();
    assert_eq!(stats.len(), 8, "seven starters left and the new one");
    assert_eq!(
        stats[0],
        json!({ "question": { "id": "interests_hobbies" }, "answers": 0, "dustGranted": 0 })
    );
    assert!(stats.contains(
        &json!({ "question": { "id": "morning_person" }, "answers": 1, "dustGranted": 3 })
    ));

    // One audit row per successful change, by the admin from the token.
    let audit = audit_actions(&app).await;
    let expected = [
        ("questions.create", "morning_person"),
        ("questions.update", "morning_person"),
        ("questions.delete", "cooking_frequency"),
    ];
    assert_eq!(audit.len(), expected.len(), "{audit:#?}");
    for (action, target) in expected {
        assert!(
            audit
                .iter()
                .any(|(a, t, actor)| a == action && t == target && *actor == Some(admin.id)),
            "{action} {target} missing from {audit:#?}"
        );
    }
}

#[tokio::test]
async fn question_stats_take_the_same_statements_for_any_number_of_questions() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    // The first call also looks up the admin's roles (then cached); keep it out of the counts.
    app.gql_as(&admin.token, STATS, json!({})).await.data();
    let mut counts = Vec::new();
    for round in 0..2 {
        if round == 1 {
            for i in 0..6 {
                create(
                    &app,
                    &admin,
                    json!({ "id": format!("extra_{i}"), "category": "extra", "text": "Anything?",
                    "type": "TEXT", "profileField": format!("extra_{i}"), "priority": 2 }),
                )
                .await
                .data();
            }
        }
        let before = app.statements.get();
        app.gql_as(&admin.token, STATS, json!({})).await.data();
        counts.push(app.statements.get() - before);
    }
    assert_eq!(counts[0], counts[1], "statements for 8 vs 14 questions");
}
