package io.keyward.keyserver.keys;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The periodic housekeeping: flush data-key counters, erase versions whose destruction is due,
 * start due rotations, and pick up a policy changed through another replica.
 */
public final class Maintenance implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(Maintenance.class);

  private final KeyCatalog catalog;
  private final KeyAdministration administration;
  private final AutoRotation autoRotation;
  private final Authorizer authorizer;

  public Maintenance(KeyCatalog catalog, KeyAdministration administration, AutoRotation autoRotation, Authorizer authorizer) {
    this.catalog = catalog;
    this.administration = administration;
    this.autoRotation = autoRotation;
    this.authorizer = authorizer;
  }

  /** Runs every step; a failing step is logged and does not stop the others. */
  @Override
  public void run() {
    step("flush data-key counters", catalog::flushCounts);
    step("destroy due versions", () -> administration.destroyDue(catalog.clock().instant()));
    step("automatic rotation", () -> autoRotation.rotateDue(catalog.clock().instant()));
    step("policy refresh", authorizer::refresh);
  }

  private static void step(String name, Runnable step) {
    try {
      step.run();
    } catch (RuntimeException e) {
      log.warn("maintenance step '{}' failed; will retry at the next run", name, e);
    }
  }
}
