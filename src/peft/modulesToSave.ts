/**
 * `modules_to_save`: a module (typically a task head) that trains in full next to the adapter. The wrapper
 * keeps the original untouched as `original_module` and a trainable copy per adapter in
 * `modules_to_save.<adapter>`; forward uses the active adapter's copy, or the original when adapters are
 * disabled or the active adapter has no copy. As in PEFT.
 */
import { Module } from '../nn/module';
import { cloneModule } from './clone';
import { ModuleMap } from './dicts';

export class ModulesToSaveWrapper extends Module {
  readonly originalModule: Module;
  readonly copies = new ModuleMap();
  private active: string | null = null;
  private disabled = false;

  constructor(original: Module, adapterName: string) {
    super();
    this.originalModule = original;
    this.registerModule('original_module', original);
    this.registerModule('modules_to_save', this.copies);
    this.update(adapterName);
    this.setAdapter(adapterName);
  }

  /**
   * Adds the copy of `adapterName`, copied from the original (an existing copy is kept, with its training).
   * As PEFT's `update`, a copy trains only while its adapter is the active one, and an adapter without a copy
   * is never active here: the new copy is frozen until {@link setAdapter} picks it.
   */
  update(adapterName: string): void {
    if (!this.copies.has(adapterName)) {
      const copy = cloneModule(this.originalModule);
      copy.requiresGrad_(false);
      this.copies.set(adapterName, copy);
    }
  }

  /** The adapter whose copy runs (null: the original runs). */
  get activeAdapter(): string | null {
    return this.active;
  }

  /** Uses `adapterName`'s copy from now on (its parameters train; the other copies and the original do not). */
  setAdapter(adapterName: string | null): void {
    this.active = adapterName !== null && this.copies.has(adapterName) ? adapterName : null;
    this.originalModule.requiresGrad_(false);
    for (const name of this.copies.keys()) this.copies.get(name).requiresGrad_(name === this.active);
  }

  /** Makes forward use the original (true) or the active copy again (false). */
  setDisabled(disabled: boolean): void {
    this.disabled = disabled;
  }

  deleteAdapter(adapterName: string): void {
    this.copies.delete(adapterName);
    if (this.active === adapterName) this.active = null;
  }

  /** The module forward runs now. */
  currentModule(): Module {
    return !this.disabled && this.active !== null ? this.copies.get(this.active) : this.originalModule;
  }

  override forward(...inputs: never[]): unknown {
    const target = this.currentModule();
    return (target.forward as (...args: never[]) => unknown).apply(target, inputs);
  }
}
