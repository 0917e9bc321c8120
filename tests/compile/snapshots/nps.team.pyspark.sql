SELECT
  *
FROM (
  SELECT
    `t10`.`__subject` AS `team_id`,
    `t5`.`label` AS `period`,
    (
      100.0 * (
        COALESCE(`t18`.`m__nps_promoters`, 0) - COALESCE(`t18`.`m__nps_detractors`, 0)
      )
    ) / NULLIF(CAST(COALESCE(`t18`.`m__nps_responses`, 0) AS DOUBLE), 0) AS `nps`
  FROM (
    SELECT
      `t0`.`team_id` AS `__subject`
    FROM `teams` AS `t0`
  ) AS `t10`
  CROSS JOIN (
    SELECT
      `t1`.`period` AS `__period`
    FROM `salescore_periods_3aad044200` AS `t1`
  ) AS `t11`
  LEFT OUTER JOIN (
    SELECT
      `t16`.`__subject`,
      `t16`.`__period`,
      MAX(`t16`.`m__nps_promoters`) AS `m__nps_promoters`,
      MAX(`t16`.`m__nps_detractors`) AS `m__nps_detractors`,
      MAX(`t16`.`m__nps_responses`) AS `m__nps_responses`
    FROM (
      SELECT
        *
      FROM (
        SELECT
          `t14`.`__subject`,
          `t14`.`__period`,
          SUM(CAST(`t14`.`nps` >= 9 AS BIGINT)) AS `m__nps_promoters`,
          SUM(CAST(`t14`.`nps` <= 6 AS BIGINT)) AS `m__nps_detractors`,
          SUM(CAST(`t14`.`nps` IS NOT NULL AS BIGINT)) AS `m__nps_responses`
        FROM (
          SELECT
            `t13`.`survey_id`,
            `t13`.`customer_id`,
            `t13`.`rep_id`,
            `t13`.`answered_at`,
            `t13`.`csat`,
            `t13`.`nps`,
            `t13`.`comment`,
            `t13`.`__day`,
            `t6`.`period` AS `__period`,
            `t7`.`team` AS `__subject`
          FROM (
            SELECT
              `t2`.`survey_id`,
              `t2`.`customer_id`,
              `t2`.`rep_id`,
              `t2`.`answered_at`,
              `t2`.`csat`,
              `t2`.`nps`,
              `t2`.`comment`,
              CASE
                WHEN `t2`.`answered_at` >= CAST('2025-03-30T01:00:00' AS TIMESTAMP)
                THEN CAST(`t2`.`answered_at` + INTERVAL '7200' SECOND AS DATE)
                ELSE CAST(`t2`.`answered_at` + INTERVAL '3600' SECOND AS DATE)
              END AS `__day`
            FROM `surveys` AS `t2`
            WHERE
              `t2`.`answered_at` >= CAST('2024-12-31T23:00:00' AS TIMESTAMP)
              AND `t2`.`answered_at` < CAST('2025-03-31T22:00:00' AS TIMESTAMP)
          ) AS `t13`
          INNER JOIN `salescore_days_3007fae532` AS `t6`
            ON `t13`.`__day` = `t6`.`day`
          INNER JOIN `salescore_teams_3089a8a750` AS `t7`
            ON `t13`.`rep_id` = `t7`.`rep`
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
    ON `t10`.`__subject` = `t18`.`__subject` AND `t11`.`__period` = `t18`.`__period`
  INNER JOIN `salescore_periods_3aad044200` AS `t5`
    ON `t11`.`__period` = `t5`.`period`
) AS `t19`
ORDER BY
  `t19`.`team_id` ASC NULLS LAST,
  `t19`.`period` ASC NULLS LAST
