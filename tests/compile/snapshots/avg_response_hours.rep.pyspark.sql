SELECT
  *
FROM (
  SELECT
    `t8`.`__subject` AS `rep_id`,
    `t4`.`label` AS `period`,
    `t18`.`m__response_hours` AS `avg_response_hours`
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
      `t16`.`__subject`,
      `t16`.`__period`,
      MAX(`t16`.`m__response_hours`) AS `m__response_hours`
    FROM (
      SELECT
        *
      FROM (
        SELECT
          `t14`.`__subject`,
          `t14`.`__period`,
          AVG(
            IF(
              (
                `t14`.`direction` = 'inbound'
              )
              AND `t14`.`kind` IN ('email', 'message')
              AND (
                `t14`.`customer_id` IS NOT NULL
              ),
              `t14`.`hours_to_next_outbound`,
              NULL
            )
          ) AS `m__response_hours`
        FROM (
          SELECT
            `t13`.`activity_id`,
            `t13`.`rep_id`,
            `t13`.`customer_id`,
            `t13`.`opportunity_id`,
            `t13`.`kind`,
            `t13`.`direction`,
            `t13`.`occurred_at`,
            `t13`.`duration_s`,
            `t13`.`outcome`,
            `t13`.`hours_to_next_outbound`,
            `t13`.`__day`,
            `t13`.`__period`,
            `t13`.`rep_id` AS `__subject`
          FROM (
            SELECT
              `t12`.`activity_id`,
              `t12`.`rep_id`,
              `t12`.`customer_id`,
              `t12`.`opportunity_id`,
              `t12`.`kind`,
              `t12`.`direction`,
              `t12`.`occurred_at`,
              `t12`.`duration_s`,
              `t12`.`outcome`,
              `t12`.`hours_to_next_outbound`,
              `t12`.`__day`,
              `t5`.`period` AS `__period`
            FROM (
              SELECT
                `t10`.`activity_id`,
                `t10`.`rep_id`,
                `t10`.`customer_id`,
                `t10`.`opportunity_id`,
                `t10`.`kind`,
                `t10`.`direction`,
                `t10`.`occurred_at`,
                `t10`.`duration_s`,
                `t10`.`outcome`,
                `t10`.`hours_to_next_outbound`,
                CASE
                  WHEN `t10`.`occurred_at` >= CAST('2025-03-30T01:00:00' AS TIMESTAMP)
                  THEN CAST(`t10`.`occurred_at` + INTERVAL '7200' SECOND AS DATE)
                  ELSE CAST(`t10`.`occurred_at` + INTERVAL '3600' SECOND AS DATE)
                END AS `__day`
              FROM (
                SELECT
                  `t3`.`activity_id`,
                  `t3`.`rep_id`,
                  `t3`.`customer_id`,
                  `t3`.`opportunity_id`,
                  `t3`.`kind`,
                  `t3`.`direction`,
                  `t3`.`occurred_at`,
                  `t3`.`duration_s`,
                  `t3`.`outcome`,
                  CAST(UNIX_TIMESTAMP(
                    CAST(MIN(CASE WHEN `t3`.`direction` = 'outbound' THEN `t3`.`occurred_at` ELSE NULL END) OVER (
                      PARTITION BY `t3`.`rep_id`, `t3`.`customer_id`
                      ORDER BY `t3`.`occurred_at` ASC NULLS LAST, `t3`.`activity_id` ASC NULLS LAST
                      ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING
                    ) AS TIMESTAMP)
                  ) - UNIX_TIMESTAMP(CAST(`t3`.`occurred_at` AS TIMESTAMP)) AS DOUBLE) / 3600.0 AS `hours_to_next_outbound`
                FROM `activities` AS `t3`
              ) AS `t10`
              WHERE
                `t10`.`occurred_at` >= CAST('2024-12-31T23:00:00' AS TIMESTAMP)
                AND `t10`.`occurred_at` < CAST('2025-03-31T22:00:00' AS TIMESTAMP)
            ) AS `t12`
            INNER JOIN `salescore_days_3007fae532` AS `t5`
              ON `t12`.`__day` = `t5`.`day`
          ) AS `t13`
        ) AS `t14`
        GROUP BY
          1,
          2
      ) AS `t15`
    ) AS `t16`
    GROUP BY
      1,
      2
  ) AS `t18`
    ON `t8`.`__subject` = `t18`.`__subject` AND `t9`.`__period` = `t18`.`__period`
  INNER JOIN `salescore_periods_3aad044200` AS `t4`
    ON `t9`.`__period` = `t4`.`period`
) AS `t19`
ORDER BY
  `t19`.`rep_id` ASC NULLS LAST,
  `t19`.`period` ASC NULLS LAST
