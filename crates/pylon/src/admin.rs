//! `pylon admin …`: operator tasks outside the running services.

use std::process::ExitCode;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create the first operator and its administrator (operator_admin and
    /// platform_admin), migrating identity's schema first; print the login. Running it
    /// again changes nothing and prints the login without the password.
    Bootstrap {
        /// The operator's code, used at login.
        #[arg(long, default_value = "demo")]
        tenant_code: String,
        #[arg(long, default_value = "Demo Operator")]
        tenant_name: String,
        /// The administrator's e-mail (login).
        #[arg(long, default_value = "admin@pylon.local")]
        email: String,
        /// The administrator's phone (optional).
        #[arg(long)]
        phone: Option<String>,
        #[arg(long, default_value = "Administrator")]
        name: String,
        /// The password; generated when absent. Prefer the environment variable.
        #[arg(long, env = "PYLON_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

pub async fn execute(command: AdminCommand, config: runtime::Config) -> anyhow::Result<ExitCode> {
    match command {
        AdminCommand::Bootstrap {
            tenant_code,
            tenant_name,
            email,
            phone,
            name,
            password,
        } => {
            let out = identity::bootstrap::run(
                &config,
                identity::bootstrap::Bootstrap {
                    tenant_code,
                    tenant_name,
                    email: Some(email),
                    phone,
                    display_name: name,
                    password,
                },
            )
            .await?;
            let port = config.http.listen.port();
            if out.created {
                println!("created operator {} ({})", out.tenant_code, out.tenant_id);
            } else {
                println!(
                    "operator {} ({}) already exists; nothing changed",
                    out.tenant_code, out.tenant_id
                );
            }
            println!("administrator: {} ({})", out.login, out.user_id);
            match &out.password {
                Some(p) => println!("password: {p}"),
                None => println!("password: unchanged"),
            }
            println!(
                "login: curl -s -X POST http://127.0.0.1:{port}/api/v1/auth/login -H 'content-type: application/json' \
                 -d '{{\"tenant\":\"{}\",\"identifier\":\"{}\",\"password\":\"…\"}}'",
                out.tenant_code, out.login
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
