//! gRPC `pylon.identity.v1.IdentityService` for other services.

use proto::pylon::identity::v1::identity_service_client::IdentityServiceClient;
use proto::pylon::identity::v1::{CheckPermissionRequest, GetOrgSubtreeRequest, GetUserRequest};
use tonic::Code;
use tonic::metadata::MetadataValue;

use crate::spawn_app;

fn with_token<T>(msg: T, token: &str) -> tonic::Request<T> {
    let mut r = tonic::Request::new(msg);
    r.metadata_mut().insert(
        "authorization",
        MetadataValue::try_from(format!("Bearer {token}")).unwrap(),
    );
    r
}

#[tokio::test]
async fn user_lookup_subtree_and_permission_checks() {
    let app = spawn_app().await;
    let t = app.tenant("acme").await;
    let other = app.tenant("other").await;
    let (r1, s1, _) = app.region_and_site(&t, "North").await;
    let (_, s2, _) = app.region_and_site(&t, "South").await;
    let (uid, rm) = app.user_with_role(&t, "region_manager", &r1, &r1).await;
    let channel = tonic::transport::Channel::from_shared(app.grpc.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut c = IdentityServiceClient::new(channel);

    let u = c
        .get_user(with_token(
            GetUserRequest {
                user_id: uid.clone(),
            },
            &t.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (u.id.as_str(), u.tenant_id.as_str(), u.kind.as_str()),
        (uid.as_str(), t.id.as_str(), "staff")
    );
    let e = c
        .get_user(with_token(
            GetUserRequest {
                user_id: uid.clone(),
            },
            &other.admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        e.code(),
        Code::NotFound,
        "another tenant's user does not exist"
    );
    let e = c
        .get_user(tonic::Request::new(GetUserRequest {
            user_id: uid.clone(),
        }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Unauthenticated);

    let tree = c
        .get_org_subtree(with_token(
            GetOrgSubtreeRequest {
                node_id: r1.clone(),
            },
            &rm,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(tree.nodes.len(), 2);
    assert_eq!(tree.nodes[0].id, r1);
    assert!(tree.nodes[1].path.ends_with(&format!("{s1}/")));
    let e = c
        .get_org_subtree(with_token(
            GetOrgSubtreeRequest {
                node_id: s2.clone(),
            },
            &rm,
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);

    let check = |perm: &str, node: &str, token: &str| CheckPermissionRequest {
        access_token: token.into(),
        permission: perm.into(),
        node_id: node.into(),
    };
    let r = c
        .check_permission(tonic::Request::new(check("devices:operate", &s1, &rm)))
        .await
        .unwrap()
        .into_inner();
    assert!(r.allowed, "{r:?}");
    assert_eq!(r.subject, uid);
    let r = c
        .check_permission(tonic::Request::new(check("devices:operate", &s2, &rm)))
        .await
        .unwrap()
        .into_inner();
    assert!(!r.allowed);
    let r = c
        .check_permission(tonic::Request::new(check("refunds:approve", &s1, &rm)))
        .await
        .unwrap()
        .into_inner();
    assert!(!r.allowed);
    let r = c
        .check_permission(tonic::Request::new(check("devices:read", &s1, "garbage")))
        .await
        .unwrap()
        .into_inner();
    assert!(!r.allowed && r.reason.contains("malformed"), "{r:?}");
    let r = c
        .check_permission(tonic::Request::new(check(
            "devices:read",
            &s1,
            &other.admin,
        )))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((r.allowed, r.reason.as_str()), (false, "no such node"));
}
