//! `/admin/groups` and a person's groups on `/admin/users`, through the
//! server functions as the pages post them (without JavaScript: the answer
//! is the page again, with what was done), and what the pages show.

use crate::{both_engines, helpers::*};
use reqwest::StatusCode;

both_engines!(
    an_admin_makes_a_group_fills_it_searches_it_and_deletes_it,
    a_persons_groups_are_shown_and_set_from_their_row,
    members_of_a_large_group_are_found_page_by_page,
);

async fn an_admin_makes_a_group_fills_it_searches_it_and_deletes_it(engine: Engine) {
    let app = spawn_app(engine).await;
    let (_jane, admin) = app.with_admin_and_user().await;
    let res = admin
        .group_action("create_group", &[("name", "Wiki Editors")])
        .await;
    assert_status(&res, StatusCode::UNPROCESSABLE_ENTITY);
    // Without JavaScript the form's answer is the page again, saying so.
    let res = admin
        .without_js()
        .group_action("create_group", &[("name", "wiki-editors")])
        .await;
    assert!(res.status().is_redirection(), "{}", res.status());
    assert!(
        location(&res).ends_with("done=created"),
        "{}",
        location(&res)
    );
    let page = admin.open(&location(&res)).await;
    assert!(page.contains("The group was made."), "{page}");

    let res = admin
        .group_action(
            "add_group_member",
            &[("group", "wiki-editors"), ("email", "nobody@acme.test")],
        )
        .await;
    assert_status(&res, StatusCode::UNPROCESSABLE_ENTITY);
    let res = admin
        .group_action(
            "add_group_member",
            &[("group", "wiki-editors"), ("email", USER_EMAIL)],
        )
        .await;
    assert_status(&res, StatusCode::OK);

    let page = admin.open("/admin/groups?group=wiki-editors").await;
    assert!(page.contains("Members of wiki-editors"), "{page}");
    assert!(page.contains("People in the group: 1"), "{page}");
    assert!(page.contains("Jane Doe"), "{page}");
    let found = admin
        .open("/admin/groups?group=wiki-editors&q=jane.doe")
        .await;
    assert!(found.contains("Jane Doe"), "{found}");
    let none = admin.open("/admin/groups?group=wiki-editors&q=zzz").await;
    assert!(none.contains("No member matches."), "{none}");
    assert!(!none.contains("Jane Doe"), "{none}");

    let res = admin
        .group_action(
            "remove_group_member",
            &[("group", "wiki-editors"), ("email", USER_EMAIL)],
        )
        .await;
    assert_status(&res, StatusCode::OK);
    let page = admin.open("/admin/groups?group=wiki-editors").await;
    assert!(page.contains("Nobody is in this group yet."), "{page}");

    let res = admin
        .group_action("delete_group", &[("name", "wiki-editors")])
        .await;
    assert_status(&res, StatusCode::UNPROCESSABLE_ENTITY);
    let res = admin
        .group_action(
            "delete_group",
            &[("name", "wiki-editors"), ("confirm", "yes")],
        )
        .await;
    assert_status(&res, StatusCode::OK);
    let page = admin.open("/admin/groups").await;
    assert!(page.contains("No groups yet."), "{page}");

    // Each change is in the audit log, with who made it.
    let audit = admin.list_audit(None).await.text().await.unwrap();
    for event in [
        "group_created",
        "group_member_added",
        "group_member_removed",
        "group_deleted",
    ] {
        assert!(audit.contains(event), "{event}: {audit}");
    }
    assert!(audit.contains(&ADMIN_EMAIL.to_lowercase()) || audit.contains(ADMIN_EMAIL));

    // Only site admins.
    let jane = app.as_user(USER_EMAIL, USER_PASSWORD).await;
    let res = jane.group_action("create_group", &[("name", "mine")]).await;
    assert!(res.status().is_client_error(), "{}", res.status());
    let page = jane.get("/admin/groups").await;
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
}

async fn a_persons_groups_are_shown_and_set_from_their_row(engine: Engine) {
    let app = spawn_app(engine).await;
    let (jane, admin) = app.with_admin_and_user().await;
    app.put_in_group(USER_EMAIL, "ops").await;
    app.put_in_group(ADMIN_EMAIL, "staff").await;
    let page = admin.open("/admin/users").await;
    assert!(page.contains("Groups: ops"), "{page}");
    let res = admin.set_user_groups(jane, "staff, nope").await;
    assert_status(&res, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("nope"));
    let res = admin.without_js().set_user_groups(jane, "staff").await;
    assert!(res.status().is_redirection(), "{}", res.status());
    assert!(
        location(&res).ends_with("done=groups_saved"),
        "{}",
        location(&res)
    );
    let page = admin.open("/admin/users").await;
    assert!(page.contains("Groups: staff"), "{page}");
    assert!(!page.contains("Groups: ops"), "{page}");
    let audit = admin
        .list_audit(Some("group_member_removed"))
        .await
        .text()
        .await
        .unwrap();
    assert!(audit.contains("ops"), "{audit}");
}

/// A group of 100,000 members: pages of 50, newest first, and a search
/// for a rare term that goes on from where each bounded walk stopped.
async fn members_of_a_large_group_are_found_page_by_page(engine: Engine) {
    use gatehouse::server::admin::transfer::{self, ImportOptions, Imported};
    let app = spawn_app(engine).await;
    app.create_admin().await;
    let mut csv = String::from("email,name,role,groups\n");
    for i in 0..100_000 {
        let name = if i == 17 {
            "Needle Haystack".to_owned()
        } else {
            format!("Person {i}")
        };
        csv.push_str(&format!("p{i}@big.test,{name},user,everyone\n"));
    }
    let meta = gatehouse::server::http::request::RequestMeta::default();
    let done = transfer::import(&app.state, csv.as_bytes(), ImportOptions::default(), &meta)
        .await
        .unwrap();
    assert!(matches!(done, Imported::People(100_000)), "{done:?}");
    let everyone = gatehouse::domain::GroupName::parse("everyone").unwrap();
    let groups = gatehouse::server::admin::groups::members;
    let first = groups(&app.state, &everyone, None, None).await.unwrap();
    assert_eq!(first.count, Some(100_000));
    assert_eq!(first.members.len(), 50);
    assert_eq!(first.members[0].email, "p99999@big.test");
    let second = groups(&app.state, &everyone, None, first.older)
        .await
        .unwrap();
    assert_eq!(second.members[0].email, "p99949@big.test");
    assert_eq!(second.count, None, "counted on the first page only");
    // The needle is among the oldest: the search walks on, page by page,
    // each reading a bounded stretch, until it is found.
    let mut before = None;
    let mut pages = 0;
    let found = loop {
        let page = groups(&app.state, &everyone, Some("needle"), before)
            .await
            .unwrap();
        pages += 1;
        if let Some(member) = page.members.first() {
            break member.clone();
        }
        before = Some(page.older.expect("the walk goes on until the needle"));
    };
    assert_eq!(found.email, "p17@big.test");
    assert!(pages > 1, "a bounded walk found it in {pages} pages");
}
