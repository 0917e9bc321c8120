WITH `t13` AS (
  SELECT DISTINCT
    `t12`.`rep_id` AS `__subject`,
    `t12`.`__period`,
    `t12`.`customer_id` AS `__item`
  FROM (
    SELECT
      `t11`.`order_id`,
      `t11`.`customer_id`,
      `t11`.`rep_id`,
      `t11`.`opportunity_id`,
      `t11`.`ordered_at`,
      `t11`.`amount`,
      `t11`.`currency`,
      `t11`.`__day`,
      `t5`.`period` AS `__period`
    FROM (
      SELECT
        `t2`.`order_id`,
        `t2`.`customer_id`,
        `t2`.`rep_id`,
        `t2`.`opportunity_id`,
        `t2`.`ordered_at`,
        `t2`.`amount`,
        `t2`.`currency`,
        CASE
          WHEN `t2`.`ordered_at` >= CAST('2025-03-30T01:00:00' AS TIMESTAMP)
          THEN CAST(`t2`.`ordered_at` + INTERVAL '7200' SECOND AS DATE)
          ELSE CAST(`t2`.`ordered_at` + INTERVAL '3600' SECOND AS DATE)
        END AS `__day`
      FROM `orders` AS `t2`
      WHERE
        `t2`.`ordered_at` >= CAST('2024-11-30T23:00:00' AS TIMESTAMP)
        AND `t2`.`ordered_at` < CAST('2025-03-31T22:00:00' AS TIMESTAMP)
    ) AS `t11`
    INNER JOIN `salescore_days_3007fae532` AS `t5`
      ON `t11`.`__day` = `t5`.`day`
  ) AS `t12`
  WHERE
    `t12`.`amount` > 0 AND `t12`.`customer_id` IS NOT NULL
), `t16` AS (
  SELECT
    `t14`.`__subject`,
    `t14`.`__item`,
    `t14`.`__period` + 1 AS `__period`
  FROM `t13` AS `t14`
)
SELECT
  *
FROM (
  SELECT
    `t8`.`__subject` AS `rep_id`,
    `t4`.`label` AS `period`,
    CAST(COALESCE(`t26`.`p__buying_customers__kept`, 0) AS DOUBLE) / NULLIF(CAST(COALESCE(`t26`.`p__buying_customers__prev`, 0) AS DOUBLE), 0) AS `customer_retention_rate`
  FROM (
    SELECT
      `t0`.`rep_id` AS `__subject`
    FROM `reps` AS `t0`
  ) AS `t8`
  CROSS JOIN (
    SELECT
      `t1`.`period` AS `__period`
    FROM `salescore_periods_3aad044200` AS `t1`
  ) AS `t9`
  LEFT OUTER JOIN (
    SELECT
      `t24`.`__subject`,
      `t24`.`__period`,
      MAX(`t24`.`p__buying_customers__prev`) AS `p__buying_customers__prev`,
      MAX(`t24`.`p__buying_customers__kept`) AS `p__buying_customers__kept`
    FROM (
      SELECT
        *
      FROM (
        SELECT
          `t19`.`__subject`,
          `t19`.`__period`,
          `t19`.`p__buying_customers__prev`,
          CAST(NULL AS BIGINT) AS `p__buying_customers__kept`
        FROM (
          SELECT
            `t17`.`__subject`,
            `t17`.`__period`,
            COUNT(*) AS `p__buying_customers__prev`
          FROM `t16` AS `t17`
          GROUP BY
            1,
            2
        ) AS `t19`
      ) AS `t20`
      UNION ALL
      SELECT
        *
      FROM (
        SELECT
          `t22`.`__subject`,
          `t22`.`__period`,
          CAST(NULL AS BIGINT) AS `p__buying_customers__prev`,
          `t22`.`p__buying_customers__kept`
        FROM (
          SELECT
            `t21`.`__subject`,
            `t21`.`__period`,
            COUNT(*) AS `p__buying_customers__kept`
          FROM (
            SELECT
              `t15`.`__subject`,
              `t15`.`__period`,
              `t15`.`__item`
            FROM `t13` AS `t15`
            INNER JOIN `t16` AS `t18`
              ON `t15`.`__subject` = `t18`.`__subject`
              AND `t15`.`__period` = `t18`.`__period`
              AND `t15`.`__item` = `t18`.`__item`
          ) AS `t21`
          GROUP BY
            1,
            2
        ) AS `t22`
      ) AS `t23`
    ) AS `t24`
    GROUP BY
      1,
      2
  ) AS `t26`
    ON `t8`.`__subject` = `t26`.`__subject` AND `t9`.`__period` = `t26`.`__period`
  INNER JOIN `salescore_periods_3aad044200` AS `t4`
    ON `t9`.`__period` = `t4`.`period`
) AS `t27`
ORDER BY
  `t27`.`rep_id` ASC NULLS LAST,
  `t27`.`period` ASC NULLS LAST
