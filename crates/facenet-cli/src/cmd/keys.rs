//! `facenet keys create|list|revoke`: the API keys of `facenet serve` (CompreFace's service keys: each
//! belongs to the recognition, detection or verification service). A key is printed once, when it is
//! created; the gallery stores only its sha256. `keys create` creates the gallery if it does not exist
//! (the first step of setting up a server); list and revoke need an existing one.

use super::Status;
use super::gallery::DbArg;
use crate::output::Ctx;
use facenet::gallery::keys::SERVICES;

#[derive(Debug, clap::Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Debug, clap::Subcommand)]
enum KeysCommand {
    /// Create a key for a service and print it (the only time it is shown).
    Create {
        #[command(flatten)]
        db: DbArg,
        /// The service the key is for.
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(SERVICES))]
        service: String,
    },
    /// List the keys (id, service, created, revoked); never the keys themselves.
    List {
        #[command(flatten)]
        db: DbArg,
    },
    /// Revoke a key by id: requests with it get 401 from then on.
    Revoke {
        #[command(flatten)]
        db: DbArg,
        /// The key's id (`keys list`).
        id: i64,
    },
}

pub fn run(args: KeysArgs, ctx: &Ctx) -> anyhow::Result<Status> {
    match args.command {
        KeysCommand::Create { db, service } => {
            let mut gallery = db.open_or_create()?;
            let key = gallery.create_api_key(&service)?;
            if ctx.json {
                ctx.print_json(&key)?;
            } else {
                println!("{}", key.key);
                eprintln!("key {} for the {} service (shown only now)", key.id, key.service);
            }
        }
        KeysCommand::List { db } => {
            let keys = db.open_existing()?.api_keys()?;
            if ctx.json {
                ctx.print_json(&keys)?;
            } else {
                println!("id\tservice\tcreated_at\trevoked_at");
                for key in keys {
                    let revoked = key.revoked_at.map(|t| t.to_string()).unwrap_or_else(|| "-".into());
                    println!("{}\t{}\t{}\t{revoked}", key.id, key.service, key.created_at);
                }
            }
        }
        KeysCommand::Revoke { db, id } => {
            if !db.open_existing()?.revoke_api_key(id)? {
                anyhow::bail!("no valid key with id {id}");
            }
            eprintln!("key {id} revoked");
        }
    }
    Ok(Status::Ok)
}
