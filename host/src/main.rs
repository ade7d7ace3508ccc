//! `filmstrip`: lists, describes and runs Filmstrip video filter modules.

use anyhow::{Context, Result, anyhow, bail};
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};
use filmstrip_host::filter_spec::{self, FilterSpec};
use filmstrip_host::output::Output;
use filmstrip_host::{Registry, install, js_client, kmd, run, search_path, serve};
use serde_json::json;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

const MODULES_HELP: &str = "\
Modules are the *.so files found directly in the module directories: --modules-path if given,
else $FILMSTRIP_MODULES_PATH (both colon-separated), else the directory holding this
executable, where `cargo build` puts the workspace's modules.";

/// Loads Filmstrip modules and runs video through their filters.
#[derive(Parser)]
#[command(name = "filmstrip", version, after_help = MODULES_HELP)]
struct Cli {
    /// Colon-separated directories to load modules from [default: $FILMSTRIP_MODULES_PATH, else
    /// the directory of this executable].
    #[arg(long, global = true, value_name = "DIR:DIR...")]
    modules_path: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lists the classes of every module found, then the files that were refused and why.
    List {
        /// Print a JSON array instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Prints a class's descriptor: properties, methods and events.
    Describe {
        /// Class name, bare (EdgeDetectFilter) or qualified (edgedetect.EdgeDetectFilter); with
        /// --kmd, a module name (edgedetect) or a module file (libedgedetect.so).
        class: String,
        /// Print the whole module's descriptor as a Kurento `.kmd.json`, for Kurento's client
        /// code generators.
        #[arg(long)]
        kmd: bool,
    },
    /// Writes the npm package of a module's JavaScript client classes, which
    /// `kurentoClient.register(require(DIR))` takes so that the official `kurento-client` creates
    /// them, in strict mode too. Classes standing in for Kurento's built-ins (FaceOverlayFilter)
    /// need none: kurento-client has them.
    JsClient {
        /// A module name (edgedetect) or a module file (libedgedetect.so).
        module: String,
        /// Directory to write the package into [default: ./<the module's npm name>].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Builds a module crate and installs it into the first modules directory, once it passes
    /// the same checks as `list`; on any failure the modules directory is left as it was.
    Install {
        /// A crate directory (./blur, /src/blur), or a crate on a registry: NAME[@VERSION].
        #[arg(value_name = "PATH|NAME[@VERSION]")]
        source: String,
        /// Registry to take NAME from, as named in cargo's configuration [default: crates.io].
        #[arg(long)]
        registry: Option<String>,
        /// Build with cargo's dev profile instead of release.
        #[arg(long)]
        debug: bool,
    },
    /// Serves the Kurento protocol (JSON-RPC 2.0 over WebSocket) at ws://BIND:PORT/PATH, so
    /// Kurento clients create pipelines of the loaded modules' filters.
    Serve {
        /// TCP port; 0 picks a free one (the first line printed names it).
        #[arg(long, default_value_t = 8888)]
        port: u16,
        /// TCP port of the HTTP endpoint server, where clients POST media to
        /// HttpPostEndpoints (their `getUrl`), on the same address [default: 9091, as KMS; a
        /// free one when --port is 0].
        #[arg(long, value_name = "PORT")]
        http_port: Option<u16>,
        /// WebSocket path; other paths are refused with HTTP 404.
        #[arg(long, default_value = "kurento")]
        path: String,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        bind: String,
        /// Seconds a session whose connections all closed keeps its pipelines, waiting for
        /// the client to reconnect with `connect {sessionId}`; then they are released.
        #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
        session_grace: f64,
        #[command(flatten)]
        webrtc: serve::WebRtcDefaults,
        /// Connections served at once; more are refused (HTTP 503) with a log line.
        #[arg(long, value_name = "N", default_value_t = 1024)]
        max_connections: usize,
        /// Largest request answered, in bytes; a larger one gets a -32600 error.
        #[arg(long, value_name = "BYTES", default_value_t = serve::MAX_MESSAGE)]
        max_message_bytes: usize,
        /// Deepest nesting of JSON arrays and objects in a request; deeper gets -32600.
        #[arg(long, value_name = "LEVELS", default_value_t = 32)]
        max_json_depth: usize,
        /// Most objects one session may hold; `create` beyond it fails with 40009
        /// NOT_ENOUGH_RESOURCES.
        #[arg(long, value_name = "N", default_value_t = 10_000)]
        max_objects_per_session: usize,
        /// Most bytes of event notifications queued for one connection; a client that lets
        /// more pile up is disconnected (its session then waits out --session-grace).
        #[arg(long, value_name = "BYTES", default_value_t = 8 << 20)]
        max_outbox_bytes: usize,
        /// Seconds a write to a client may block before the client is disconnected.
        #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
        write_timeout: f64,
        /// Seconds a shutdown (SIGINT, SIGTERM) may take to release every session; past it
        /// the process exits with status 1, as it does on a second signal.
        #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
        shutdown_timeout: f64,
        /// Log filter, e.g. `debug` or `info,filmstrip_host=debug` [default: $RUST_LOG, else
        /// info]. Logs go to stderr; GStreamer's own log still follows $GST_DEBUG.
        #[arg(long, value_name = "FILTER")]
        log_level: Option<String>,
        /// Also serve the demo web app (magic mirror, plate reader, ...) over plain HTTP on
        /// the same port, from DIR [default: `demos` beside the executable's directory, i.e.
        /// target/demos, where `cargo xtask demo` builds it].
        #[arg(long, value_name = "DIR", num_args = 0..=1)]
        demos: Option<Option<PathBuf>>,
    },
    /// Runs a video through filters, printing module events on stdout as JSON lines.
    Run {
        /// Video file path, or URI (file://, http://, rtsp://...).
        #[arg(long, value_name = "PATH|URI")]
        input: String,
        /// A filter to add, in order, with properties to set: Class[,prop=value...]. Values are
        /// JSON, or strings when they do not parse as JSON.
        #[arg(long = "filter", value_name = "CLASS[,PROP=VALUE...]")]
        filters: Vec<String>,
        /// An operation to invoke on the filter given before it, e.g. 'setMode=["OVERLAY"]'.
        #[arg(long = "invoke", value_name = "OP=JSON")]
        invocations: Vec<String>,
        /// Output file (.webm, .mp4 or .mkv), or `null` to discard the video.
        #[arg(long, value_name = "PATH|null")]
        output: String,
    },
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|err| err.exit());
    match execute(&cli, &matches) {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that stops early, like `filmstrip list | head -1`, is not an error.
        Err(err)
            if err
                .downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == ErrorKind::BrokenPipe) =>
        {
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("filmstrip: {err}");
            ExitCode::FAILURE
        }
    }
}

fn execute(cli: &Cli, matches: &ArgMatches) -> Result<()> {
    gst::init().context("cannot initialise GStreamer")?;
    let dirs = search_path::module_dirs(cli.modules_path.as_deref())?;
    // Written to with `?` rather than println!, which panics when a reader closes the pipe.
    let mut stdout = std::io::stdout().lock();
    match &cli.command {
        Command::List { json: true } => list_json(&Registry::load(&dirs), &mut stdout),
        Command::List { json: false } => list_text(&Registry::load(&dirs), &mut stdout),
        Command::Describe { class, kmd: false } => {
            let registry = Registry::load(&dirs);
            let (_, class) = registry.class(class)?;
            writeln!(stdout, "{}", serde_json::to_string_pretty(class)?)?;
            Ok(())
        }
        Command::Describe { class, kmd: true } => describe_kmd(class, &dirs, &mut stdout),
        Command::JsClient { module, out } => {
            let registry = module_registry(module, &dirs)?;
            let package = js_client::package(&registry.module(module)?.descriptor)?;
            let dir = out.clone().unwrap_or_else(|| PathBuf::from(&package.name));
            package.write(&dir)?;
            writeln!(stdout, "wrote {} to {}", package.name, dir.display())?;
            Ok(())
        }
        Command::Run { input, output, .. } => {
            let run_matches = matches
                .subcommand_matches("run")
                .context("run arguments missing")?;
            let filters = filters_in_order(run_matches)?;
            let output = Output::parse(output)?;
            run::run(
                &Registry::load(&dirs),
                input,
                &filters,
                &output,
                &mut stdout,
            )
        }
        Command::Serve {
            port,
            http_port,
            path,
            bind,
            session_grace,
            webrtc,
            max_connections,
            max_message_bytes,
            max_json_depth,
            max_objects_per_session,
            max_outbox_bytes,
            write_timeout,
            shutdown_timeout,
            log_level,
            demos,
        } => {
            let demos = match demos {
                Some(dir) => {
                    let dir = match dir {
                        Some(dir) => dir.clone(),
                        None => serve::demos::default_dir()?,
                    };
                    serve::demos::check_built(&dir)?;
                    Some(dir)
                }
                None => None,
            };
            init_logging(log_level.as_deref())?;
            let registry = Registry::load(&dirs);
            for refusal in registry.refused() {
                tracing::warn!(path = %refusal.path.display(), reason = %refusal.reason, "refused a module");
            }
            let options = serve::Options {
                bind: bind.clone(),
                port: *port,
                http_port: http_port.unwrap_or(if *port == 0 { 0 } else { 9091 }),
                path: path.clone(),
                session_grace: seconds("--session-grace", *session_grace)?,
                webrtc: webrtc.clone(),
                max_connections: *max_connections,
                max_message: *max_message_bytes,
                max_depth: *max_json_depth,
                max_objects_per_session: *max_objects_per_session,
                max_outbox: *max_outbox_bytes,
                write_timeout: seconds("--write-timeout", *write_timeout)?,
                shutdown_timeout: seconds("--shutdown-timeout", *shutdown_timeout)?,
                demos,
            };
            serve::serve(registry, &options, &mut stdout)
        }
        Command::Install {
            source,
            registry,
            debug,
        } => {
            let options = install::Options {
                registry: registry.clone(),
                debug: *debug,
            };
            let (first, others) = dirs.split_first().context("no modules directory")?;
            let source_spec = install::Source::parse(source);
            let installed = install::install(&source_spec, &options, first, others)
                .map_err(|err| anyhow!("cannot install {source}: {err:#}"))?;
            eprintln!("filmstrip: installed {}", installed.display());
            Ok(())
        }
    }
}

/// `value` seconds as a duration, or an error naming `option`.
fn seconds(option: &str, value: f64) -> Result<Duration> {
    Duration::try_from_secs_f64(value)
        .map_err(|_| anyhow!("{option} must be a number of seconds, not {value}"))
}

/// Sends `serve`'s logs to stderr, filtered by `level`, else `$RUST_LOG`, else `info`.
fn init_logging(level: Option<&str>) -> Result<()> {
    use tracing_subscriber::EnvFilter;
    let filter = match level {
        Some(level) => {
            EnvFilter::try_new(level).map_err(|err| anyhow!("--log-level {level}: {err}"))?
        }
        None => EnvFilter::try_from_default_env().or_else(|err| {
            match std::env::var_os(EnvFilter::DEFAULT_ENV) {
                // Set but unreadable: say so rather than log at a level nobody asked for.
                Some(_) => Err(anyhow!("RUST_LOG: {err}")),
                None => Ok(EnvFilter::new("info")),
            }
        })?,
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init()
        .map_err(|err| anyhow!("cannot set up logging: {err}"))
}

/// Prints the `.kmd.json` of a module given by name, or by file.
fn describe_kmd(module: &str, dirs: &[PathBuf], out: &mut impl Write) -> Result<()> {
    let registry = module_registry(module, dirs)?;
    let kmd = kmd::kurento_kmd(&registry.module(module)?.descriptor);
    writeln!(out, "{}", serde_json::to_string_pretty(&kmd)?)?;
    Ok(())
}

/// The registry holding `module`, a name or a file; a file is loaded without the others and
/// its refusal, if any, is the error.
fn module_registry(module: &str, dirs: &[PathBuf]) -> Result<Registry> {
    let registry = if module.ends_with(".so") {
        Registry::load_files(&[PathBuf::from(module)])
    } else {
        Registry::load(dirs)
    };
    if let Some(refusal) = registry
        .refused()
        .iter()
        .find(|r| r.path == Path::new(module))
    {
        bail!("{module}: {}", refusal.reason);
    }
    Ok(registry)
}

/// Pairs each `--invoke` with the `--filter` before it, which clap's typed fields cannot tell.
fn filters_in_order(matches: &ArgMatches) -> Result<Vec<FilterSpec>> {
    let positioned = |id: &str| -> Vec<(usize, &str)> {
        let indices = matches.indices_of(id).into_iter().flatten();
        let values = matches
            .get_many::<String>(id)
            .into_iter()
            .flatten()
            .map(String::as_str);
        indices.zip(values).collect()
    };
    filter_spec::from_command_line(&positioned("filters"), &positioned("invocations"))
}

fn list_text(registry: &Registry, out: &mut impl Write) -> Result<()> {
    let rows: Vec<[String; 5]> = registry
        .classes()
        .map(|(module, class)| {
            let descriptor = &module.descriptor;
            [
                class.name.clone(),
                class.filmstrip.factory.clone(),
                descriptor.name.clone(),
                descriptor.version.clone(),
                module.path.display().to_string(),
            ]
        })
        .collect();
    let mut widths = [0; 5];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:width$}"))
            .collect();
        writeln!(out, "{}", cells.join("  ").trim_end())?;
    }
    for refusal in registry.refused() {
        writeln!(
            out,
            "refused: {}: {}",
            refusal.path.display(),
            refusal.reason
        )?;
    }
    Ok(())
}

fn list_json(registry: &Registry, out: &mut impl Write) -> Result<()> {
    let loaded = registry.classes().map(|(module, class)| {
        json!({
            "class": class.name,
            "factory": class.filmstrip.factory,
            "module": module.descriptor.name,
            "version": module.descriptor.version,
            "path": module.path,
        })
    });
    let refused = registry
        .refused()
        .iter()
        .map(|refusal| json!({ "path": refusal.path, "refused": true, "reason": refusal.reason }));
    writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(&loaded.chain(refused).collect::<Vec<_>>())?
    )?;
    Ok(())
}
