//! `tailsim graph MODEL`: the model's topology as SVG or Graphviz DOT, on
//! stdout. The report draws the same picture.

use std::io::Write;
use std::process::ExitCode;

use tailsim_components::topology::topology;
use tailsim_runner::plot::topology::{TopologyOptions, dot, render_topology};

use crate::cli::{GraphArgs, GraphFormat};

pub fn run(args: GraphArgs) -> anyhow::Result<ExitCode> {
    let model = super::read_model(&args.model)?;
    let spec = model.load(&args.set)?;
    let t = topology(spec.spec());
    let name = model.name();
    let text = match args.format {
        GraphFormat::Svg => {
            render_topology(&t, &TopologyOptions { title: &format!("Topology of {name}"), embed: None })
        }
        GraphFormat::Dot => dot(&t, &name),
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
