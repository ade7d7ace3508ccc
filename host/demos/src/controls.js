// The loaded filter classes, from the server's getInfo (which modules are loaded) and its
// descriptors (their classes, properties with ranges, enums, events), and form controls
// built from a class's properties.
import { connect, descriptors, invoke, registerFilter } from './common.js';

/**
 * Every filter class of every module the server lists in getInfo, as
 * `{ name, module, doc, properties, events, enums }` sorted by name.
 */
export async function filterClasses() {
  const client = await connect();
  let info;
  try {
    const manager = await client.getServerManager();
    info = await manager.getInfo();
  } finally {
    client.close();
  }
  const loaded = new Set(info.modules.map((module) => module.name));
  const classes = [];
  for (const module of await descriptors()) {
    if (!loaded.has(module.name)) continue;
    const enums = {};
    for (const type of module.complexTypes || []) {
      if (type.typeFormat === 'ENUM') enums[type.name] = type.values;
    }
    for (const cls of module.remoteClasses) {
      if (cls.extends !== 'Filter') continue;
      registerFilter(cls.name, cls.events);
      classes.push({ name: cls.name, module: module.name, doc: cls.doc, properties: cls.properties, events: cls.events, enums });
    }
  }
  return classes.sort((a, b) => a.name.localeCompare(b.name));
}

/** Fills `select` with the classes, `preferred` chosen if present. */
export function fillClassPicker(select, classes, preferred) {
  select.replaceChildren(
    ...classes.map((cls) => {
      const option = document.createElement('option');
      option.value = cls.name;
      option.textContent = `${cls.name} (${cls.module})`;
      return option;
    }),
  );
  if (classes.some((cls) => cls.name === preferred)) select.value = preferred;
}

const NUMBERS = { int: 1, float: 0, double: 0 };

/**
 * Builds one control per property of `cls` in `form`: a range for a number with a
 * range, a number field without one, a checkbox for a boolean, a menu for an enum and a
 * text field otherwise. Returns `{ values(), bind(filter) }`: the current values, and a
 * binding that calls `set<Property>` on `filter` whenever a control changes.
 */
export function propertyControls(form, cls, onError) {
  form.replaceChildren();
  const inputs = {};
  let filter = null;
  for (const property of cls.properties) {
    const label = document.createElement('label');
    label.title = property.doc || '';
    const name = document.createElement('span');
    name.textContent = property.name;
    label.appendChild(name);
    let input;
    const enumValues = cls.enums[property.type];
    if (enumValues) {
      input = document.createElement('select');
      for (const value of enumValues) input.add(new Option(value, value));
    } else if (property.type === 'boolean') {
      input = document.createElement('input');
      input.type = 'checkbox';
    } else if (property.type in NUMBERS) {
      input = document.createElement('input');
      const ranged = property.minimum !== undefined && property.maximum !== undefined;
      input.type = ranged ? 'range' : 'number';
      if (ranged) {
        input.min = property.minimum;
        input.max = property.maximum;
      }
      input.step = property.type === 'int' ? 1 : 'any';
      if (ranged && property.type !== 'int') input.step = (property.maximum - property.minimum) / 200;
    } else {
      input = document.createElement('input');
      input.type = 'text';
    }
    input.id = `property-${property.name}`;
    input.name = property.name;
    const shown = document.createElement('output');
    const value = () => {
      if (input.type === 'checkbox') return input.checked;
      if (property.type in NUMBERS) return property.type === 'int' ? parseInt(input.value, 10) : Number(input.value);
      return input.value;
    };
    const show = () => {
      shown.textContent = String(value());
    };
    if (property.defaultValue !== undefined) {
      if (input.type === 'checkbox') input.checked = Boolean(property.defaultValue);
      else input.value = property.defaultValue;
    }
    show();
    input.addEventListener('input', show);
    input.addEventListener('change', () => {
      show();
      if (!filter) return;
      const setter = `set${property.name[0].toUpperCase()}${property.name.slice(1)}`;
      invoke(filter, setter, { [property.name]: value() }).catch(onError);
    });
    inputs[property.name] = value;
    label.append(input, shown);
    form.appendChild(label);
  }
  return {
    values: () => Object.fromEntries(Object.entries(inputs).map(([name, value]) => [name, value()])),
    bind(element) {
      filter = element;
    },
  };
}
