//! Operators, organization nodes and users, created through identity's REST API.

use serde_json::json;
use uuid::Uuid;

use crate::PASSWORD;
use crate::app::TestApp;

/// An operator with its administrator's access token.
#[derive(Clone, Debug)]
pub struct Tenant {
    pub id: String,
    pub code: String,
    pub admin: String,
}

impl Tenant {
    /// The operator node's path, `/<tenant>/`.
    pub fn path(&self) -> String {
        format!("/{}/", self.id)
    }
}

/// A region and a site below it.
#[derive(Clone, Debug)]
pub struct Site {
    pub region_id: String,
    pub region_path: String,
    pub site_id: String,
    pub site_path: String,
}

/// A driver who signed up with an e-mail address, logged in.
#[derive(Clone, Debug)]
pub struct Driver {
    pub id: String,
    pub token: String,
}

impl TestApp {
    /// An access token for `login` (e-mail or phone) of operator `tenant`.
    pub async fn token(&self, tenant: &str, login: &str) -> String {
        let r = self
            .anon_post(
                "/api/v1/auth/login",
                json!({"tenant": tenant, "identifier": login, "password": PASSWORD}),
            )
            .await;
        self.ok(r)["access_token"].as_str().unwrap().to_owned()
    }

    /// A new operator (created by the platform administrator) with an operator_admin.
    pub async fn tenant(&self, code: &str) -> Tenant {
        let node = self.ok(self
            .post(
                "/api/v1/organizations",
                &self.root.admin,
                json!({"kind": "operator", "code": code, "name": format!("Operator {code}")}),
            )
            .await);
        let id = node["id"].as_str().unwrap().to_owned();
        let email = format!("admin@{code}.test");
        self.staff(&self.root.admin, &id, &email, &[("operator_admin", &id)])
            .await;
        Tenant {
            admin: self.token(code, &email).await,
            id,
            code: code.into(),
        }
    }

    /// A staff user on node `node` with `grants` (role, node id), created by token `by`;
    /// returns the user id.
    pub async fn staff(
        &self,
        by: &str,
        node: &str,
        email: &str,
        grants: &[(&str, &str)],
    ) -> String {
        let u = self.ok(
            self.post(
                "/api/v1/users",
                by,
                json!({"node_id": node, "display_name": email, "email": email, "password": PASSWORD}),
            )
            .await,
        );
        let id = u["id"].as_str().unwrap().to_owned();
        for (role, at) in grants {
            self.ok(self
                .post(
                    &format!("/api/v1/users/{id}/grants"),
                    by,
                    json!({"role": role, "node_id": at}),
                )
                .await);
        }
        id
    }

    /// A staff user of `t` living on node `home` with `role` granted on node `at`,
    /// logged in: (user id, access token).
    pub async fn user_with_role(
        &self,
        t: &Tenant,
        role: &str,
        home: &str,
        at: &str,
    ) -> (String, String) {
        let email = format!("{role}.{}@{}.test", Uuid::new_v4().simple(), t.code);
        let id = self.staff(&t.admin, home, &email, &[(role, at)]).await;
        (id, self.token(&t.code, &email).await)
    }

    /// A driver of `t`, signed up with an e-mail address and logged in.
    pub async fn driver(&self, t: &Tenant) -> Driver {
        let email = format!("driver.{}@{}.test", Uuid::new_v4().simple(), t.code);
        let s = self.ok(
            self.anon_post(
                "/api/v1/auth/register",
                json!({"tenant": t.code, "email": email, "password": PASSWORD, "display_name": "Driver"}),
            )
            .await,
        );
        Driver {
            id: s["user"]["id"].as_str().unwrap().to_owned(),
            token: s["access_token"].as_str().unwrap().to_owned(),
        }
    }

    /// A region `name` under the operator node and a site under the region.
    pub async fn region_and_site(&self, t: &Tenant, name: &str) -> Site {
        let r = self.ok(self
            .post(
                "/api/v1/organizations",
                &t.admin,
                json!({"kind": "region", "name": name, "parent_id": t.id}),
            )
            .await);
        let region_id = r["id"].as_str().unwrap().to_owned();
        let site = self.site(t, &region_id, &format!("{name} site")).await;
        Site {
            region_id,
            region_path: r["path"].as_str().unwrap().to_owned(),
            ..site
        }
    }

    /// Another site under region `region_id`.
    pub async fn site(&self, t: &Tenant, region_id: &str, name: &str) -> Site {
        let s = self.ok(self
            .post(
                "/api/v1/organizations",
                &t.admin,
                json!({"kind": "site", "name": name, "parent_id": region_id}),
            )
            .await);
        let site_path = s["path"].as_str().unwrap().to_owned();
        let region_path = site_path
            .trim_end_matches('/')
            .rsplit_once('/')
            .map(|(parent, _)| format!("{parent}/"))
            .unwrap();
        Site {
            region_id: region_id.to_owned(),
            region_path,
            site_id: s["id"].as_str().unwrap().to_owned(),
            site_path,
        }
    }
}
