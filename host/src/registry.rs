//! The modules found on the search path, and the files that were refused.

use crate::module_file;
use anyhow::{Result, bail};
use filmstrip::abi::ModuleRef;
use filmstrip::descriptor::{ClassDescriptor, ModuleDescriptor};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

/// A module library that loaded: its classes are usable.
pub struct LoadedModule {
    /// The library file.
    pub path: PathBuf,
    /// What the module offers.
    pub descriptor: ModuleDescriptor,
    module: ModuleRef,
}

impl LoadedModule {
    /// Runs operation `op` on `element`, one of this module's filters, with JSON `params`.
    pub fn invoke(
        &self,
        element: &gst::Element,
        op: &str,
        params: &Json,
    ) -> filmstrip::Result<Json> {
        filmstrip::abi::invoke(self.module, element, op, params)
    }

    /// Runs the constructor of `class` on its new `element` with those of `params` it
    /// declares after `mediaPipeline`; others are ignored, as KMS ignores them. A missing
    /// required parameter or a bad value fails naming it.
    pub fn construct(
        &self,
        element: &gst::Element,
        class: &ClassDescriptor,
        params: &serde_json::Map<String, Json>,
    ) -> filmstrip::Result<()> {
        let declared: serde_json::Map<String, Json> = class
            .constructor
            .params
            .iter()
            .filter(|param| param.name != "mediaPipeline")
            .filter_map(|param| Some((param.name.clone(), params.get(&param.name)?.clone())))
            .collect();
        self.invoke(
            element,
            filmstrip::abi::CONSTRUCTOR,
            &Json::Object(declared),
        )
        .map(drop)
    }
}

/// A file or directory on the search path that provided no module, and why.
pub struct Refusal {
    /// The file or directory.
    pub path: PathBuf,
    /// One line naming the cause.
    pub reason: String,
}

/// Every module found on the search path.
#[derive(Default)]
pub struct Registry {
    modules: Vec<LoadedModule>,
    refused: Vec<Refusal>,
}

impl Registry {
    /// Loads every `*.so` file of `dirs`, in order; GStreamer must be initialised.
    ///
    /// A file that fails to load is recorded as a [`Refusal`] and never stops the others.
    pub fn load(dirs: &[PathBuf]) -> Self {
        let mut registry = Self::default();
        for dir in dirs {
            match libraries_in(dir) {
                Ok(files) => files.iter().for_each(|file| registry.add(file)),
                Err(reason) => registry.refuse(dir, reason),
            }
        }
        registry
    }

    /// Loads the given module files, in order, with the same checks as [`load`](Self::load).
    pub fn load_files(files: &[PathBuf]) -> Self {
        let mut registry = Self::default();
        files.iter().for_each(|file| registry.add(file));
        registry
    }

    /// Finds a loaded module by its name (`pixelate`) or its file path.
    pub fn module(&self, name_or_path: &str) -> Result<&LoadedModule> {
        let found = self.modules.iter().find(|module| {
            module.descriptor.name == name_or_path || module.path == Path::new(name_or_path)
        });
        match found {
            Some(module) => Ok(module),
            None => {
                let names: Vec<&str> = self
                    .modules
                    .iter()
                    .map(|module| module.descriptor.name.as_str())
                    .collect();
                bail!("unknown module {name_or_path}; known: {}", names.join(", "))
            }
        }
    }

    /// The modules that loaded, in load order.
    pub fn modules(&self) -> &[LoadedModule] {
        &self.modules
    }

    /// The files that were refused, in load order.
    pub fn refused(&self) -> &[Refusal] {
        &self.refused
    }

    /// Finds a class by bare (`EdgeDetectFilter`) or qualified (`edgedetect.EdgeDetectFilter`) name.
    pub fn class(&self, name: &str) -> Result<(&LoadedModule, &ClassDescriptor)> {
        let (module_name, class_name) = match name.split_once('.') {
            Some((module, class)) => (Some(module), class),
            None => (None, name),
        };
        let found = self.modules.iter().find_map(|module| {
            let class = module.descriptor.class(class_name)?;
            let in_module =
                module_name.is_none_or(|wanted| module.descriptor.module_of(class) == wanted);
            in_module.then_some((module, class))
        });
        match found {
            Some(found) => Ok(found),
            None => bail!(
                "unknown class {name}; known: {}",
                self.class_names().join(", ")
            ),
        }
    }

    fn class_names(&self) -> Vec<&str> {
        self.classes()
            .map(|(_, class)| class.name.as_str())
            .collect()
    }

    /// Every class with the module providing it, in load order.
    pub fn classes(&self) -> impl Iterator<Item = (&LoadedModule, &ClassDescriptor)> {
        self.modules.iter().flat_map(|module| {
            module
                .descriptor
                .remote_classes
                .iter()
                .map(move |class| (module, class))
        })
    }

    fn add(&mut self, path: &Path) {
        match self.admit(path) {
            Ok(module) => self.modules.push(module),
            Err(reason) => self.refuse(path, reason),
        }
    }

    fn refuse(&mut self, path: &Path, reason: String) {
        self.refused.push(Refusal {
            path: path.to_path_buf(),
            reason,
        });
    }

    fn admit(&self, path: &Path) -> Result<LoadedModule, String> {
        let (module, descriptor) = module_file::open(path)?;
        for class in &descriptor.remote_classes {
            if let Some((other, _)) = self.classes().find(|(_, known)| known.name == class.name) {
                return Err(format!(
                    "class {} already provided by {}",
                    class.name,
                    other.path.display()
                ));
            }
        }
        // The module library is also the GStreamer plugin that registers the element factories.
        gst::Plugin::load_file(path)
            .map_err(|err| format!("cannot load as a GStreamer plugin: {err}"))?;
        for class in &descriptor.remote_classes {
            let factory = &class.filmstrip.factory;
            if gst::ElementFactory::find(factory).is_none() {
                return Err(format!(
                    "class {} has no GStreamer element factory {factory}",
                    class.name
                ));
            }
        }
        Ok(LoadedModule {
            path: path.to_path_buf(),
            descriptor,
            module,
        })
    }
}

/// The `*.so` files directly in `dir`, sorted so that load order and duplicate refusals are stable.
pub fn libraries_in(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|err| format!("cannot read module directory: {err}"))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "so") && path.is_file())
        .filter(|path| !crate::search_path::is_sdk_library(path))
        .collect();
    files.sort();
    Ok(files)
}
