//! gRPC `pylon.identity.v1.IdentityService`: user lookup, org subtree and permission
//! checks for other services. Calls carry the caller's access token in `authorization`.

use std::sync::Arc;

use proto::common::{GetInfoRequest, ServiceInfo};
use proto::pylon::identity::v1::identity_service_server::{IdentityService, IdentityServiceServer};
use proto::pylon::identity::v1::{
    CheckPermissionRequest, CheckPermissionResponse, GetOrgSubtreeRequest, GetOrgSubtreeResponse,
    GetUserRequest, OrgNode, User,
};
use runtime::auth::{Authenticator, OrgPath, Principal};
use runtime::http::ApiError;
use runtime::{GrpcRoutes, ServiceContext};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::app::{self, Ctx};
use crate::error::IdentityError;
use crate::events::timestamp;
use crate::store;

pub fn register(svc: ServiceContext, ctx: Ctx, routes: &mut GrpcRoutes) {
    routes.add(IdentityServiceServer::new(Api {
        auth: svc.auth.clone(),
        svc,
        ctx,
    }));
}

struct Api {
    svc: ServiceContext,
    ctx: Ctx,
    auth: Arc<Authenticator>,
}

impl Api {
    async fn caller<T>(&self, req: &Request<T>) -> Result<Principal, Status> {
        let token = req
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .ok_or_else(|| Status::unauthenticated("authentication required"))?;
        self.auth
            .bearer(token.trim())
            .await
            .map_err(|e| ApiError::from(e).to_grpc())
    }
}

fn uuid(s: &str, what: &'static str) -> Result<Uuid, Status> {
    s.parse()
        .map_err(|_| Status::from(IdentityError::NotFound(what)))
}

fn org(n: &store::orgs::OrgRow) -> OrgNode {
    OrgNode {
        id: n.id.to_string(),
        tenant_id: n.tenant_id.to_string(),
        parent_id: n.parent_id.map(|p| p.to_string()).unwrap_or_default(),
        kind: n.kind.clone(),
        name: n.name.clone(),
        path: n.path.clone(),
        disabled: n.disabled,
    }
}

#[tonic::async_trait]
impl IdentityService for Api {
    async fn get_info(&self, _: Request<GetInfoRequest>) -> Result<Response<ServiceInfo>, Status> {
        Ok(Response::new(self.svc.info()))
    }

    async fn get_user(&self, req: Request<GetUserRequest>) -> Result<Response<User>, Status> {
        let p = self.caller(&req).await?;
        let id = uuid(&req.get_ref().user_id, "user")?;
        let u = app::authorized_user(&self.ctx, &p, "users:read", id).await?;
        let reveal = p.subject == u.id.to_string()
            || OrgPath::parse(&u.node_path).is_ok_and(|path| p.can("pii:read", &path));
        let show = |v: &Option<String>, mask: fn(&str) -> String| {
            v.as_deref()
                .map(|s| if reveal { s.to_owned() } else { mask(s) })
                .unwrap_or_default()
        };
        Ok(Response::new(User {
            id: u.id.to_string(),
            tenant_id: u.tenant_id.to_string(),
            kind: u.kind.clone(),
            display_name: u.display_name.clone(),
            phone: show(&u.phone, runtime::mask::phone),
            email: show(&u.email, runtime::mask::email),
            status: u.status.clone(),
            node_id: u.node_id.to_string(),
            node_path: u.node_path.clone(),
            created_at: Some(timestamp(u.created_at)),
        }))
    }

    async fn get_org_subtree(
        &self,
        req: Request<GetOrgSubtreeRequest>,
    ) -> Result<Response<GetOrgSubtreeResponse>, Status> {
        let p = self.caller(&req).await?;
        let id = uuid(&req.get_ref().node_id, "organization")?;
        let nodes = app::list_nodes::subtree(&self.ctx, &p, id).await?;
        Ok(Response::new(GetOrgSubtreeResponse {
            nodes: nodes.iter().map(org).collect(),
        }))
    }

    async fn check_permission(
        &self,
        req: Request<CheckPermissionRequest>,
    ) -> Result<Response<CheckPermissionResponse>, Status> {
        let r = req.into_inner();
        let deny = |reason: &str| {
            Ok(Response::new(CheckPermissionResponse {
                allowed: false,
                reason: reason.into(),
                ..Default::default()
            }))
        };
        let p = match self.auth.bearer(&r.access_token).await {
            Ok(p) => p,
            Err(e) => return deny(&e.to_string()),
        };
        let Ok(node) = r.node_id.parse::<Uuid>() else {
            return deny("no such node");
        };
        let scope = app::scope_of(&p).map_err(Status::from)?;
        let Some(n) = store::orgs::get(&self.ctx.pool, scope, node)
            .await
            .map_err(|e| Status::from(IdentityError::from(e)))?
        else {
            return deny("no such node");
        };
        let path = OrgPath::parse(&n.path).map_err(|e| Status::from(IdentityError::from(e)))?;
        let allowed = p.can(&r.permission, &path);
        Ok(Response::new(CheckPermissionResponse {
            allowed,
            reason: if allowed {
                String::new()
            } else {
                "permission denied".into()
            },
            subject: p.subject,
            tenant_id: p.tenant,
        }))
    }
}
